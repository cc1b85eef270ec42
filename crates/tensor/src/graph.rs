//! Export of a tape as a Graphviz graph.

use std::fmt::Write;

use crate::float::Float;
use crate::op::Op;
use crate::tape::Tape;

impl<T: Float> Tape<T> {
    /// Renders the recorded graph in Graphviz's DOT language, one node per
    /// tape node and one edge per op input, pointing from the input to the op.
    ///
    /// Every node's label is its op name (`leaf` nodes are named by kind) and
    /// its output shape, such as `matmul` over `[5, 10]`. The kinds are drawn
    /// apart:
    ///
    /// - parameters registered with [`Tape::param`]: filled blue boxes
    ///   labelled `param #ID`, where `ID` is [`ParamId::get`](crate::ParamId::get);
    /// - other differentiable inputs from [`Tape::var`]: filled green boxes
    ///   labelled `var`;
    /// - constants: dashed grey boxes labelled `constant`;
    /// - ops: ellipses, dashed and grey when no gradient flows through them
    ///   because they depend on constants alone.
    ///
    /// Edges into an op with more than one input carry the argument position
    /// (`0` for the left operand of `sub` or `matmul`), and an input used
    /// twice, as in `x * x`, gets two edges. Each node's tooltip is the
    /// source location that recorded it, which SVG viewers show on hover.
    /// Labels are escaped, so custom op names may contain quotes and
    /// backslashes.
    ///
    /// Render the text with `dot -Tpng graph.dot -o graph.png`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{ParamId, Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let id = ParamId::new();
    /// let x = tape.constant(Tensor::ones(&[4, 2]));
    /// let w = tape.param(id, &Tensor::ones(&[2, 1]));
    /// let _loss = x.matmul(w).sigmoid().mean();
    /// let dot = tape.to_dot();
    ///
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains(r#"label="matmul\n[4, 1]""#));
    /// assert!(dot.contains(&format!(r#"label="param #{}\n[2, 1]""#, id.get())));
    /// // Two edges into matmul, one into sigmoid, one into mean.
    /// assert_eq!(dot.matches("->").count(), 4);
    /// ```
    pub fn to_dot(&self) -> String {
        let inner = self.inner.borrow();
        let mut dot = String::new();
        dot.push_str("digraph tape {\n");
        dot.push_str("    node [fontname=\"Helvetica\"];\n");
        dot.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");

        for (id, node) in inner.nodes.iter().enumerate() {
            let param = inner.params.iter().find(|&&(_, node)| node == id);
            let kind = match (&node.op, param) {
                (_, Some((param_id, _))) => format!("param #{}", param_id.get()),
                (Op::Leaf, None) if node.requires_grad => "var".to_string(),
                (Op::Leaf, None) => "constant".to_string(),
                (op, None) => op.name().to_string(),
            };
            let style = match (&node.op, param) {
                (_, Some(_)) => "shape=box, style=filled, fillcolor=\"#cfe2f3\"",
                (Op::Leaf, None) if node.requires_grad => {
                    "shape=box, style=filled, fillcolor=\"#d9ead3\""
                }
                (Op::Leaf, None) => "shape=box, style=dashed, color=gray40, fontcolor=gray40",
                (_, None) if node.requires_grad => "shape=ellipse",
                (_, None) => "shape=ellipse, style=dashed, color=gray40, fontcolor=gray40",
            };
            let label = format!("{}\n{:?}", kind, &node.value.shape()[..]);
            let tooltip = node.location.to_string();
            // `fmt::Write` for `String` never returns an error.
            let _ = writeln!(
                dot,
                "    n{id} [label=\"{}\", tooltip=\"{}\", {style}];",
                escape(&label),
                escape(&tooltip)
            );
        }

        for (id, node) in inner.nodes.iter().enumerate() {
            let inputs = node.op.inputs();
            for (position, input) in inputs.iter().enumerate() {
                if inputs.len() > 1 {
                    let _ = writeln!(dot, "    n{input} -> n{id} [label=\"{position}\"];");
                } else {
                    let _ = writeln!(dot, "    n{input} -> n{id};");
                }
            }
        }

        dot.push_str("}\n");
        dot
    }
}

/// Escapes text for a double-quoted DOT string: a backslash or a quote is
/// preceded by a backslash, and a line break becomes DOT's `\n` escape, so
/// Graphviz shows the text as written.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_quotes_backslashes_and_newlines() {
        assert_eq!(escape("a\"b"), "a\\\"b");
        assert_eq!(escape("a\\b"), "a\\\\b");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("a\r\nb"), "a\\nb");
        assert_eq!(escape("plain [2, 3]"), "plain [2, 3]");
    }
}
