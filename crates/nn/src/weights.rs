//! Saving and loading a model's parameters as safetensors files.
//!
//! The file contains one tensor per parameter, named as
//! [`Module::named_parameters`] names it (`0.weight`, `0.bias`,
//! `2.weight`, ...), with dtype `F32` or `F64` by the model's element type,
//! the parameter's shape, and little-endian data. The layout is the
//! safetensors format: 8 bytes of little-endian header length `N`, `N` bytes
//! of JSON giving each tensor's `dtype`, `shape` and `data_offsets`, then the
//! data. Python's `safetensors` package and PyTorch read such files.
//!
//! ```
//! use nn::{weights, Activation, Dense, Init, Module, Sequential};
//! use rand::SeedableRng;
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let mut build = || {
//!     Sequential::<f32>::new()
//!         .add(Dense::new(2, 3, Init::Xavier, &mut rng))
//!         .add(Activation::Relu)
//!         .add(Dense::new(3, 1, Init::Xavier, &mut rng))
//! };
//! let trained = build();
//! let mut fresh = build();
//!
//! let dir = std::env::temp_dir().join(format!("nn-weights-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("model.safetensors");
//! weights::save(&trained, &path).unwrap();
//! weights::load(&mut fresh, &path).unwrap();
//! assert_eq!(fresh.parameters()[0].value(), trained.parameters()[0].value());
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use safetensors::tensor::{SafeTensorError, SafeTensors, View};
use tensor::{Float, Tensor};

use crate::module::Module;
use crate::param::Param;

/// The element types of safetensors files, re-exported from the
/// `safetensors` crate for matching on [`WeightsError::DtypeMismatch`].
pub use safetensors::Dtype;

/// An error from saving or loading weights. Every variant carries the
/// file's path, and its [`Display`](fmt::Display) form is a sentence naming
/// it.
#[derive(Debug)]
#[non_exhaustive]
pub enum WeightsError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file, or the temporary file beside it, could not be written or
    /// renamed.
    Write {
        /// The target file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not in the safetensors format: it is truncated, corrupt
    /// or of another kind.
    Invalid {
        /// The file.
        path: PathBuf,
        /// The safetensors parser's error.
        source: SafeTensorError,
    },
    /// Two parameters of the model have the same name, so a file cannot
    /// tell them apart. Both saving and loading check for this.
    DuplicateName {
        /// The target file.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// The model has a parameter that the file lacks.
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The parameter's name, as in `0.weight`.
        name: String,
    },
    /// The file has a tensor that matches no parameter of the model.
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name in the file.
        name: String,
    },
    /// A tensor's dtype differs from the model's element type.
    DtypeMismatch {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The dtype of the model's element type.
        expected: Dtype,
        /// The dtype in the file.
        found: Dtype,
    },
    /// A tensor's shape differs from its parameter's.
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
}

impl WeightsError {
    /// Returns the file that the failed save or load was about.
    pub fn path(&self) -> &Path {
        match self {
            WeightsError::Read { path, .. }
            | WeightsError::Write { path, .. }
            | WeightsError::Invalid { path, .. }
            | WeightsError::DuplicateName { path, .. }
            | WeightsError::MissingTensor { path, .. }
            | WeightsError::UnexpectedTensor { path, .. }
            | WeightsError::DtypeMismatch { path, .. }
            | WeightsError::ShapeMismatch { path, .. } => path,
        }
    }
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Read { path, source } => {
                write!(
                    f,
                    "failed to read weights from {}: {source}",
                    path.display()
                )
            }
            WeightsError::Write { path, source } => {
                write!(f, "failed to write weights to {}: {source}", path.display())
            }
            WeightsError::Invalid { path, source } => write!(
                f,
                "{} is not a valid safetensors file ({source}); it may be truncated or \
                 corrupt, so save the model again or use an intact copy",
                path.display()
            ),
            WeightsError::DuplicateName { path, name } => write!(
                f,
                "two parameters of the model are both named `{name}`, so {} cannot tell \
                 them apart; give each parameter of a layer a distinct local name, and \
                 override Module::visit_named_params in modules that hold several layers",
                path.display()
            ),
            WeightsError::MissingTensor { path, name } => write!(
                f,
                "{} has no tensor `{name}`, which the model expects; load the file into \
                 a model with the same layers as the one that saved it",
                path.display()
            ),
            WeightsError::UnexpectedTensor { path, name } => write!(
                f,
                "{} contains tensor `{name}`, which the model does not have; load the file \
                 into a model with the same layers as the one that saved it",
                path.display()
            ),
            WeightsError::DtypeMismatch {
                path,
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` in {} has dtype {found} but the model expects {expected}; \
                 load the file into a model of the element type it was saved from",
                path.display()
            ),
            WeightsError::ShapeMismatch {
                path,
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` in {} has shape {found:?} but the model expects \
                 {expected:?}; load the file into a model with the same layer sizes",
                path.display()
            ),
        }
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WeightsError::Read { source, .. } | WeightsError::Write { source, .. } => Some(source),
            WeightsError::Invalid { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes every parameter of `model` to the safetensors file at `path`,
/// replacing any file there.
///
/// The data goes to a temporary file in the same directory, which is
/// flushed to disk and then renamed over `path`. A reader therefore sees
/// either the old file or the complete new one, and a failed save leaves the
/// old file as it was.
///
/// # Errors
///
/// [`WeightsError::DuplicateName`] when two parameters share a name;
/// [`WeightsError::Write`] when the temporary file cannot be created,
/// written or renamed (the temporary file is removed).
pub fn save<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let dtype = dtype_of::<T>();
    let params = model.named_parameters();
    check_unique_names(&params, path)?;

    let views: Vec<(&str, ParamView<'_, T>)> = params
        .iter()
        .map(|(name, param)| {
            let view = ParamView {
                dtype,
                value: param.value(),
            };
            (name.as_str(), view)
        })
        .collect();
    // Each view's byte length fits its shape and dtype by construction, so
    // safetensors 0.8 can only fail here on a header over its 100 MB limit.
    // That error is still reported, as a failed write.
    let bytes = safetensors::serialize(views, None).map_err(|err| WeightsError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(err),
    })?;

    write_atomically(path, &bytes).map_err(|source| WeightsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the safetensors file at `path` into the parameters of `model`.
///
/// Everything is checked before any parameter changes: the file parses,
/// each parameter's name (as in [`Module::named_parameters`]) is
/// present, no other tensor is present, and every dtype and shape matches.
/// On any error the model keeps all its old values.
///
/// # Errors
///
/// [`WeightsError::Read`] when the file cannot be read;
/// [`WeightsError::Invalid`] when it is truncated, corrupt or not
/// safetensors; [`WeightsError::DuplicateName`] when two parameters of the
/// model share a name; [`WeightsError::MissingTensor`],
/// [`WeightsError::UnexpectedTensor`], [`WeightsError::DtypeMismatch`] or
/// [`WeightsError::ShapeMismatch`] for the first tensor that does not fit
/// the model, checking the model's parameters in order and then the file's
/// other names in sorted order.
pub fn load<T: Float, M: Module<T> + ?Sized>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| WeightsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|source| WeightsError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;

    let values = decode_matching(model, &file, path)?;

    let mut values = values.into_iter();
    model.visit_params_mut(&mut |param| {
        let value = values
            .next()
            .expect("bug in nn: visit_params_mut visited more parameters than visit_params");
        param.value_mut().data_mut().copy_from_slice(&value);
    });
    Ok(())
}

/// Checks every tensor of `file` against the parameters of `model` and
/// decodes each parameter's new value, in the order of
/// [`Module::visit_params`], without changing the model.
fn decode_matching<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    file: &SafeTensors<'_>,
    path: &Path,
) -> Result<Vec<Vec<T>>, WeightsError> {
    let expected_dtype = dtype_of::<T>();
    let params = model.named_parameters();
    check_unique_names(&params, path)?;
    let mut values = Vec::with_capacity(params.len());

    for (name, param) in &params {
        let view = file.tensor(name).map_err(|_| WeightsError::MissingTensor {
            path: path.to_path_buf(),
            name: name.clone(),
        })?;
        if view.dtype() != expected_dtype {
            return Err(WeightsError::DtypeMismatch {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: expected_dtype,
                found: view.dtype(),
            });
        }
        if view.shape() != param.value().dims() {
            return Err(WeightsError::ShapeMismatch {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: param.value().dims().to_vec(),
                found: view.shape().to_vec(),
            });
        }
        values.push(decode(view.data()));
    }

    let known: HashSet<&str> = params.iter().map(|(name, _)| name.as_str()).collect();
    let mut names = file.names();
    names.sort_unstable();
    if let Some(name) = names.into_iter().find(|name| !known.contains(name)) {
        return Err(WeightsError::UnexpectedTensor {
            path: path.to_path_buf(),
            name: name.to_string(),
        });
    }
    Ok(values)
}

/// Returns [`WeightsError::DuplicateName`] for the first name that two
/// parameters share.
fn check_unique_names<T: Float>(
    params: &[(String, &Param<T>)],
    path: &Path,
) -> Result<(), WeightsError> {
    let mut seen = HashSet::new();
    for (name, _) in params {
        if !seen.insert(name.as_str()) {
            return Err(WeightsError::DuplicateName {
                path: path.to_path_buf(),
                name: name.clone(),
            });
        }
    }
    Ok(())
}

/// The safetensors dtype of the element type `T`.
fn dtype_of<T: Float>() -> Dtype {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        Dtype::F32
    } else {
        // Float is sealed and implemented for f32 and f64 only.
        Dtype::F64
    }
}

/// Encodes values as little-endian bytes of `T`'s width. The round trip
/// through `f64` is exact for both `f32` and `f64`.
fn encode<T: Float>(values: &[T]) -> Vec<u8> {
    match dtype_of::<T>() {
        Dtype::F32 => values
            .iter()
            .flat_map(|v| (v.to_f64() as f32).to_le_bytes())
            .collect(),
        _ => values
            .iter()
            .flat_map(|v| v.to_f64().to_le_bytes())
            .collect(),
    }
}

/// Decodes little-endian bytes of `T`'s width. The caller has checked the
/// dtype and that the length fits the shape.
fn decode<T: Float>(bytes: &[u8]) -> Vec<T> {
    match dtype_of::<T>() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|chunk| {
                let value = f32::from_le_bytes(chunk.try_into().expect("chunks of 4 bytes"));
                T::from_f64(f64::from(value))
            })
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|chunk| {
                T::from_f64(f64::from_le_bytes(
                    chunk.try_into().expect("chunks of 8 bytes"),
                ))
            })
            .collect(),
    }
}

/// A parameter's value as the safetensors serialiser reads it.
struct ParamView<'a, T: Float> {
    dtype: Dtype,
    value: &'a Tensor<T>,
}

impl<T: Float> View for ParamView<'_, T> {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        self.value.dims()
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(encode(self.value.data()))
    }

    fn data_len(&self) -> usize {
        self.value.len() * std::mem::size_of::<T>()
    }
}

/// Writes `bytes` to a new temporary file beside `path`, flushes it to disk
/// and renames it over `path`. On error the temporary file is removed.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file; pass a path such as model.safetensors",
        )
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp_path = path.with_file_name(temp_name);

    let result = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp_path, path));
    if result.is_err() {
        // The write already failed; a temporary file that cannot be removed
        // either changes nothing about the error to report.
        let _ = fs::remove_file(&temp_path);
    }
    result
}
