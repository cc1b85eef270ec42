//! Saving and loading weights as safetensors files.

use std::fs;
use std::path::Path;

use nn::weights::{self, Dtype, WeightsError};
use nn::{Activation, Dense, Init, Module, Sequential};
use rand::SeedableRng;
use safetensors::tensor::TensorView;
use tensor::Float;

/// A 2-3-1 network; the seed picks its weights.
fn small<T: Float>(seed: u64) -> Sequential<T> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Dense::new(2, 3, Init::StandardNormal, &mut rng))
        .add(Activation::Tanh)
        .add(Dense::new(3, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
}

/// Every parameter's name and values, as bit patterns through `f64`.
fn snapshot<T: Float>(model: &Sequential<T>) -> Vec<(String, Vec<u64>)> {
    model
        .named_parameters()
        .into_iter()
        .map(|(name, param)| {
            let bits = param
                .value()
                .data()
                .iter()
                .map(|v| v.to_f64().to_bits())
                .collect();
            (name, bits)
        })
        .collect()
}

/// Writes values that a lossy encoding would change into the first weight:
/// negative zero, a subnormal, the largest finite value and an infinity.
fn add_edge_values<T: Float>(model: &mut Sequential<T>, values: [T; 4]) {
    let mut first = true;
    model.visit_params_mut(&mut |param| {
        if first {
            param.value_mut().data_mut()[..4].copy_from_slice(&values);
            first = false;
        }
    });
}

#[test]
fn round_trip_f64_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let mut trained = small::<f64>(1);
    add_edge_values(&mut trained, [-0.0, 5e-324, f64::MAX, f64::NEG_INFINITY]);
    let mut fresh = small::<f64>(2);
    assert_ne!(snapshot(&fresh), snapshot(&trained));

    weights::save(&trained, &path).unwrap();
    weights::load(&mut fresh, &path).unwrap();

    assert_eq!(snapshot(&fresh), snapshot(&trained));
}

#[test]
fn round_trip_f32_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let mut trained = small::<f32>(1);
    add_edge_values(&mut trained, [-0.0, 1e-45, f32::MAX, f32::INFINITY]);
    let mut fresh = small::<f32>(2);
    assert_ne!(snapshot(&fresh), snapshot(&trained));

    weights::save(&trained, &path).unwrap();
    weights::load(&mut fresh, &path).unwrap();

    assert_eq!(snapshot(&fresh), snapshot(&trained));
}

#[test]
fn layout_follows_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let model = small::<f64>(3);
    weights::save(&model, &path).unwrap();
    let bytes = fs::read(&path).unwrap();

    // 8 bytes of little-endian header length N, then N bytes of JSON.
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    let header = header.as_object().unwrap();
    let data = &bytes[8 + header_len..];

    let params = model.named_parameters();
    let mut names: Vec<&str> = header.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);

    let mut data_end = 0;
    for (name, param) in &params {
        let entry = &header[name.as_str()];
        assert_eq!(entry["dtype"], "F64", "{name}");
        let shape: Vec<usize> = serde_json::from_value(entry["shape"].clone()).unwrap();
        assert_eq!(shape, param.value().dims(), "{name}");
        let offsets: [usize; 2] = serde_json::from_value(entry["data_offsets"].clone()).unwrap();
        assert_eq!(offsets[1] - offsets[0], 8 * param.value().len(), "{name}");

        let stored: Vec<f64> = data[offsets[0]..offsets[1]]
            .chunks_exact(8)
            .map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap()))
            .collect();
        assert_eq!(stored, param.value().data(), "{name}");
        data_end = data_end.max(offsets[1]);
    }
    assert_eq!(data.len(), data_end, "bytes after the last tensor");
}

#[test]
fn f32_model_stores_f32_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f32>(3), &path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    assert_eq!(header["0.weight"]["dtype"], "F32");
    assert_eq!(
        header["0.weight"]["data_offsets"][1].as_u64().unwrap()
            - header["0.weight"]["data_offsets"][0].as_u64().unwrap(),
        4 * 6
    );
}

/// Rewrites the file at `path` with the tensor `name` replaced by `values`
/// of shape `dims`, keeping the others.
fn replace_tensor(path: &Path, name: &str, values: &[f64], dims: &[usize]) {
    let bytes = fs::read(path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let replacement: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut tensors: Vec<(String, TensorView<'_>)> = file
        .tensors()
        .into_iter()
        .filter(|(other, _)| other != name)
        .collect();
    tensors.push((
        name.to_string(),
        TensorView::new(Dtype::F64, dims.to_vec(), &replacement).unwrap(),
    ));
    let rewritten = safetensors::serialize(tensors, None).unwrap();
    fs::write(path, rewritten).unwrap();
}

#[test]
fn load_rejects_wrong_shape_and_keeps_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f64>(1), &path).unwrap();
    // The last tensor in load order is wrong, so a loader that copied as it
    // checked would already have changed the three before it.
    replace_tensor(&path, "2.bias", &[0.5, 0.5], &[2]);
    let mut model = small::<f64>(2);
    let before = snapshot(&model);

    let err = weights::load(&mut model, &path).unwrap_err();

    match &err {
        WeightsError::ShapeMismatch {
            name,
            expected,
            found,
            ..
        } => {
            assert_eq!(name, "2.bias");
            assert_eq!(expected, &[1]);
            assert_eq!(found, &[2]);
        }
        other => panic!("expected a shape mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("`2.bias`"), "{message}");
    assert!(
        message.contains("[2]") && message.contains("[1]"),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert_eq!(snapshot(&model), before);
}

#[test]
fn load_rejects_wrong_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f32>(1), &path).unwrap();
    let mut model = small::<f64>(2);
    let before = snapshot(&model);

    let err = weights::load(&mut model, &path).unwrap_err();

    assert!(
        matches!(
            &err,
            WeightsError::DtypeMismatch { name, expected: Dtype::F64, found: Dtype::F32, .. }
                if name == "0.weight"
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("F32") && message.contains("F64"),
        "{message}"
    );
    assert_eq!(snapshot(&model), before);
}

/// The 2-3-1 network with one more dense layer at the end.
fn deeper(seed: u64) -> Sequential<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    small::<f64>(seed).add(Dense::new(1, 1, Init::StandardNormal, &mut rng))
}

#[test]
fn load_rejects_missing_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f64>(1), &path).unwrap();
    let mut model = deeper(2);
    let before = snapshot(&model);

    let err = weights::load(&mut model, &path).unwrap_err();

    assert!(
        matches!(&err, WeightsError::MissingTensor { name, .. } if name == "4.weight"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("has no tensor `4.weight`"),
        "{err}"
    );
    assert_eq!(snapshot(&model), before);
}

#[test]
fn load_rejects_unexpected_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&deeper(1), &path).unwrap();
    let mut model = small::<f64>(2);
    let before = snapshot(&model);

    let err = weights::load(&mut model, &path).unwrap_err();

    assert!(
        matches!(&err, WeightsError::UnexpectedTensor { name, .. } if name == "4.bias"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("contains tensor `4.bias`"),
        "{err}"
    );
    assert_eq!(snapshot(&model), before);
}

#[test]
fn load_rejects_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f64>(1), &path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;

    // Cut inside the data, inside the header, and inside the length prefix.
    for keep in [bytes.len() - 3, 8 + header_len / 2, 5, 0] {
        fs::write(&path, &bytes[..keep]).unwrap();
        let mut model = small::<f64>(2);
        let before = snapshot(&model);

        let err = weights::load(&mut model, &path).unwrap_err();

        assert!(
            matches!(err, WeightsError::Invalid { .. }),
            "{keep} bytes: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "{keep} bytes: {message}"
        );
        assert!(
            message.contains("is not a valid safetensors file"),
            "{keep} bytes: {message}"
        );
        assert_eq!(snapshot(&model), before, "{keep} bytes");
    }
}

#[test]
fn load_rejects_corrupt_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    weights::save(&small::<f64>(1), &path).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[8] = b'!';
    fs::write(&path, &bytes).unwrap();

    let err = weights::load(&mut small::<f64>(2), &path).unwrap_err();

    assert!(matches!(err, WeightsError::Invalid { .. }), "{err:?}");
}

#[test]
fn load_reports_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.safetensors");

    let err = weights::load(&mut small::<f64>(2), &path).unwrap_err();

    assert!(matches!(err, WeightsError::Read { .. }), "{err:?}");
    assert_eq!(err.path(), path);
    assert!(
        err.to_string().starts_with("failed to read weights from"),
        "{err}"
    );
}

#[test]
fn save_replaces_file_without_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    fs::write(&path, b"old contents").unwrap();

    weights::save(&small::<f64>(1), &path).unwrap();
    weights::save(&small::<f64>(4), &path).unwrap();

    let mut model = small::<f64>(2);
    weights::load(&mut model, &path).unwrap();
    assert_eq!(snapshot(&model), snapshot(&small::<f64>(4)));
    let entries: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        ["model.safetensors"],
        "temporary files left behind"
    );
}

#[test]
fn save_into_missing_directory_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent").join("model.safetensors");

    let err = weights::save(&small::<f64>(1), &path).unwrap_err();

    assert!(matches!(err, WeightsError::Write { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(!path.exists());
}

/// A layer whose two parameters share the local name `weight`, so a file
/// could not tell them apart.
struct TwinWeights {
    first: nn::Param<f64>,
    second: nn::Param<f64>,
}

impl Module<f64> for TwinWeights {
    fn forward<'t>(&self, input: tensor::Var<'t, f64>) -> tensor::Var<'t, f64> {
        input
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a nn::Param<f64>)) {
        f(&self.first);
        f(&self.second);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut nn::Param<f64>)) {
        f(&mut self.first);
        f(&mut self.second);
    }

    fn describe(&self) -> String {
        "TwinWeights".to_string()
    }
}

#[test]
fn duplicate_names_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let twins = || TwinWeights {
        first: nn::Param::new("weight", tensor::Tensor::zeros(&[2])),
        second: nn::Param::new("weight", tensor::Tensor::ones(&[2])),
    };
    let model = Sequential::new().add(twins());

    let err = weights::save(&model, &path).unwrap_err();

    assert!(
        matches!(&err, WeightsError::DuplicateName { name, .. } if name == "0.weight"),
        "{err:?}"
    );
    assert!(!path.exists());

    // Loading into such a model would copy one tensor into both weights.
    let mut reloaded = Sequential::new().add(twins());
    weights::save(&small::<f64>(1), &path).unwrap();
    let err = weights::load(&mut reloaded, &path).unwrap_err();
    assert!(
        matches!(&err, WeightsError::DuplicateName { name, .. } if name == "0.weight"),
        "{err:?}"
    );
}

#[test]
fn nested_sequential_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.safetensors");
    let build = |seed: u64| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let inner = Sequential::<f64>::new()
            .add(Dense::new(2, 2, Init::Xavier, &mut rng))
            .add(Dense::new(2, 2, Init::Xavier, &mut rng));
        Sequential::new().add(inner)
    };
    let model = build(0);
    weights::save(&model, &path).unwrap();

    let mut reloaded = build(1);
    weights::load(&mut reloaded, &path).unwrap();

    let saved: Vec<_> = model
        .parameters()
        .iter()
        .map(|p| p.value().clone())
        .collect();
    let loaded: Vec<_> = reloaded
        .parameters()
        .iter()
        .map(|p| p.value().clone())
        .collect();
    assert_eq!(saved, loaded);
}
