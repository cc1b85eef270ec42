//! The [`Module`] trait and [`Sequential`].

use tensor::{Float, Shape, TensorError, Var};

use crate::layers::Activation;
use crate::param::Param;

/// A differentiable function with trainable parameters.
pub trait Module<T: Float> {
    /// Computes the output for an input var, recording on the input's tape.
    ///
    /// # Panics
    ///
    /// When the input's shape does not fit the module, with a message that
    /// names the op and both shapes.
    ///
    /// `#[track_caller]` here applies to every implementation, so a shape
    /// panic inside a layer, even one reached through [`Sequential`] or a
    /// `dyn Module`, points at the line that called `forward`.
    #[track_caller]
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T>;

    /// Calls `f` on every parameter, in a fixed order.
    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<T>));

    /// Calls `f` on every parameter, mutable, in the order of
    /// [`Module::visit_params`].
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>));

    /// A short description of the module, such as `Dense(2 -> 10)`.
    fn describe(&self) -> String;

    /// Computes the output shape for an input of shape `input` without
    /// running the module; [`Sequential::summary`] uses it.
    ///
    /// # Errors
    ///
    /// A [`TensorError`] naming both shapes when `input` does not fit the
    /// module. The default implementation always returns
    /// [`TensorError::InvalidArgument`], saying that the module does not
    /// implement this method.
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        Err(TensorError::invalid(
            "output_shape",
            input,
            format!(
                "{} does not implement Module::output_shape; implement it to summarise \
                 models that contain this module",
                self.describe()
            ),
        ))
    }

    /// Every parameter, in the order of [`Module::visit_params`].
    fn parameters(&self) -> Vec<&Param<T>> {
        let mut out = Vec::new();
        self.visit_params(&mut |p| out.push(p));
        out
    }

    /// The number of trainable scalars.
    fn num_parameters(&self) -> usize {
        let mut count = 0;
        self.visit_params(&mut |p| count += p.value().len());
        count
    }

    /// Every parameter with its structured name, in the order of
    /// [`Module::visit_params`]: `INDEX.NAME` for a [`Sequential`], as in
    /// `0.weight` or `2.bias`, with one `INDEX.` per level of nesting, as in
    /// `1.0.weight`. A custom module that contains several layers overrides
    /// [`Module::visit_named_params`] to keep the names unique.
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        let mut out = Vec::new();
        self.visit_named_params("", &mut |name, param| out.push((name, param)));
        out
    }

    /// Calls `f` on every parameter with its structured name: `prefix`
    /// followed by the parameter's local name. Containers override this to
    /// insert each child's position, so names stay unique when they nest.
    fn visit_named_params<'a>(&'a self, prefix: &str, f: &mut dyn FnMut(String, &'a Param<T>)) {
        self.visit_params(&mut |param| f(format!("{prefix}{}", param.name()), param));
    }

    /// Returns the activation this module computes, if it is an
    /// [`Activation`]. A [`Sequential`] passes it to the preceding module's
    /// [`Module::forward_activated`], and when that fuses the two it never
    /// calls this module's `forward`. So a module that returns `Some(a)`
    /// must compute exactly `a.apply` and hold no parameters. `None` by
    /// default.
    fn as_activation(&self) -> Option<Activation> {
        None
    }

    /// Computes `activation.apply(self.forward(input))` as one step when
    /// this module can fuse the two. Returns `None` when it cannot, and the
    /// caller then runs them one after the other. An implementation must
    /// give the same bits as the two steps, and must record nothing on the
    /// tape before it returns `None`. [`Dense`](crate::Dense) fuses
    /// sigmoid, tanh and ReLU into one tape node. `None` by default.
    ///
    /// # Panics
    ///
    /// As [`Module::forward`].
    #[track_caller]
    fn forward_activated<'t>(
        &self,
        input: Var<'t, T>,
        activation: Activation,
    ) -> Option<Var<'t, T>> {
        let _ = (input, activation);
        None
    }
}

/// Modules applied one after another: the output of each is the input of
/// the next.
///
/// # Examples
///
/// ```
/// use nn::{Activation, Dense, Init, Module, Sequential};
/// use rand::SeedableRng;
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let model = Sequential::<f64>::new()
///     .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
///     .add(Activation::Sigmoid)
///     .add(Dense::new(10, 1, Init::StandardNormal, &mut rng))
///     .add(Activation::Sigmoid);
/// assert_eq!(model.num_parameters(), 2 * 10 + 10 + 10 + 1);
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty chain, which maps its input to itself.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a module and returns the chain, for declaring models in one
    /// expression.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a module in place.
    pub fn push(&mut self, layer: impl Module<T> + 'static) {
        self.layers.push(Box::new(layer));
    }

    /// The modules, in order.
    pub fn layers(&self) -> &[Box<dyn Module<T>>] {
        &self.layers
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// `true` when the chain has no modules.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn visit_named_params<'a>(&'a self, prefix: &str, f: &mut dyn FnMut(String, &'a Param<T>)) {
        for (index, layer) in self.layers.iter().enumerate() {
            layer.visit_named_params(&format!("{prefix}{index}."), f);
        }
    }

    /// Runs the layers in order. A layer followed by an [`Activation`] that
    /// it can fuse ([`Module::forward_activated`]) runs with it as one step,
    /// which gives the same bits in fewer tape nodes.
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        // No closures here: a call inside one would report the closure's
        // line instead of the caller's to `#[track_caller]`.
        let mut x = input;
        let mut index = 0;
        while let Some(layer) = self.layers.get(index) {
            let next = self.layers.get(index + 1);
            let fused = match next.and_then(|next| next.as_activation()) {
                Some(activation) => layer.forward_activated(x, activation),
                None => None,
            };
            if let Some(y) = fused {
                x = y;
                index += 2;
            } else {
                x = layer.forward(x);
                index += 1;
            }
        }
        x
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<T>)) {
        for layer in &self.layers {
            layer.visit_params(f);
        }
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        for layer in &mut self.layers {
            layer.visit_params_mut(f);
        }
    }

    /// Chains the layers' output shapes. An error names the position and
    /// description of the first layer that rejects its input.
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        let mut shape = Shape::from_slice(input);
        for (index, layer) in self.layers.iter().enumerate() {
            shape = layer
                .output_shape(&shape)
                .map_err(|err| crate::summary::at_layer(err, index, &layer.describe()))?;
        }
        Ok(shape)
    }

    fn describe(&self) -> String {
        let inner: Vec<String> = self.layers.iter().map(|l| l.describe()).collect();
        format!("Sequential[{}]", inner.join(", "))
    }
}
