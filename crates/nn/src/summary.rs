//! Model summaries: each layer's output shape and parameter count, found
//! without running the model.

use std::fmt;

use tensor::{Float, Shape, TensorError};

#[cfg(doc)]
use crate::module::Module;
use crate::module::Sequential;

/// One layer's line of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSummary {
    /// The layer's position in the [`Sequential`], from 0. It is also the
    /// prefix of the layer's parameter names, as in `0.weight`.
    pub index: usize,
    /// The layer's [`Module::describe`] text, such as `Dense(2 -> 10)`.
    pub description: String,
    /// The shape the layer outputs for the summary's input shape.
    pub output_shape: Shape,
    /// The layer's number of trainable scalars.
    pub parameters: usize,
}

/// The layers of a [`Sequential`] with their output shapes and parameter
/// counts, for one input shape. Made by [`Sequential::summary`]; its
/// [`Display`](fmt::Display) form is a table with one row per layer and the
/// total.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    input_shape: Shape,
    layers: Vec<LayerSummary>,
}

impl Summary {
    /// Returns the input shape the summary was computed for.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Returns one entry per layer, in order.
    pub fn layers(&self) -> &[LayerSummary] {
        &self.layers
    }

    /// Returns the model's output shape: the last layer's, or the input
    /// shape for an empty model.
    pub fn output_shape(&self) -> &[usize] {
        self.layers
            .last()
            .map_or(&self.input_shape[..], |layer| &layer.output_shape[..])
    }

    /// Sums the number of trainable scalars over all layers.
    pub fn total_parameters(&self) -> usize {
        self.layers.iter().map(|layer| layer.parameters).sum()
    }
}

impl<T: Float> Sequential<T> {
    /// Summarises the model for an input of shape `input_shape`: each
    /// layer's output shape and parameter count. Nothing is computed on a
    /// tape; the shapes come from [`Module::output_shape`].
    ///
    /// # Errors
    ///
    /// The first layer's [`TensorError`] when the shape reaching it does not
    /// fit, with the layer's index and description added to the message, or
    /// when a layer does not implement [`Module::output_shape`].
    ///
    /// # Examples
    ///
    /// ```
    /// use nn::{Activation, Dense, Init, Sequential};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let model = Sequential::<f64>::new()
    ///     .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
    ///     .add(Activation::Sigmoid)
    ///     .add(Dense::new(10, 1, Init::StandardNormal, &mut rng));
    /// let summary = model.summary(&[4, 2]).unwrap();
    /// assert_eq!(summary.output_shape(), &[4, 1]);
    /// assert_eq!(summary.total_parameters(), 41);
    /// assert!(model.summary(&[4, 3]).unwrap_err().to_string().contains("layer 0"));
    /// ```
    pub fn summary(&self, input_shape: &[usize]) -> Result<Summary, TensorError> {
        let mut shape = Shape::from_slice(input_shape);
        let mut layers = Vec::with_capacity(self.len());
        for (index, layer) in self.layers().iter().enumerate() {
            let description = layer.describe();
            shape = layer
                .output_shape(&shape)
                .map_err(|err| at_layer(err, index, &description))?;
            layers.push(LayerSummary {
                index,
                description,
                output_shape: shape.clone(),
                parameters: layer.num_parameters(),
            });
        }
        Ok(Summary {
            input_shape: Shape::from_slice(input_shape),
            layers,
        })
    }
}

/// Adds the position and description of the layer that rejected a shape to
/// its error message, keeping the error's kind, op and shapes.
pub(crate) fn at_layer(err: TensorError, index: usize, description: &str) -> TensorError {
    let context = format!(" (at layer {index}, {description})");
    match err {
        TensorError::ShapeMismatch {
            op,
            lhs,
            rhs,
            reason,
        } => TensorError::ShapeMismatch {
            op,
            lhs,
            rhs,
            reason: reason + &context,
        },
        TensorError::InvalidArgument { op, shape, message } => TensorError::InvalidArgument {
            op,
            shape,
            message: message + &context,
        },
        TensorError::InvalidAxis { op, axis, shape } => TensorError::InvalidArgument {
            op,
            message: format!(
                "axis {axis} is out of range for rank {}{context}",
                shape.len()
            ),
            shape,
        },
        // NOTE: a variant added to TensorError later passes through without
        // the layer's position.
        other => other,
    }
}

/// Formats a shape as `[2, 10]`.
fn format_shape(dims: &[usize]) -> String {
    format!("{dims:?}")
}

impl fmt::Display for Summary {
    /// Writes the table: a header, an `input` row, one row per layer, a
    /// rule, and the total parameter count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADERS: [&str; 4] = ["#", "layer", "output shape", "parameters"];

        let input_row = [
            String::new(),
            "input".to_string(),
            format_shape(&self.input_shape),
            String::new(),
        ];
        let layer_rows = self.layers.iter().map(|layer| {
            [
                layer.index.to_string(),
                layer.description.clone(),
                format_shape(&layer.output_shape),
                layer.parameters.to_string(),
            ]
        });
        let total_row = [
            String::new(),
            "total".to_string(),
            String::new(),
            self.total_parameters().to_string(),
        ];
        let body: Vec<[String; 4]> = std::iter::once(input_row).chain(layer_rows).collect();

        let mut widths = HEADERS.map(str::len);
        for row in body.iter().chain(std::iter::once(&total_row)) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.len());
            }
        }

        let header = HEADERS.map(str::to_string);
        write_row(f, &header, &widths)?;
        for row in &body {
            write_row(f, row, &widths)?;
        }
        let rule_width = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        writeln!(f, "{}", "-".repeat(rule_width))?;
        write_row(f, &total_row, &widths)
    }
}

/// Writes one table row: the index right-aligned, the layer and shape
/// left-aligned and the parameter count right-aligned, two spaces apart.
fn write_row(f: &mut fmt::Formatter<'_>, cells: &[String; 4], widths: &[usize; 4]) -> fmt::Result {
    let [index, layer, shape, parameters] = cells;
    let [index_width, layer_width, shape_width, parameters_width] = *widths;
    let line = format!(
        "{index:>index_width$}  {layer:<layer_width$}  {shape:<shape_width$}  \
         {parameters:>parameters_width$}"
    );
    writeln!(f, "{}", line.trim_end())
}
