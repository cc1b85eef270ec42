//! `Tape::to_dot` on a two-layer network: every op and parameter appears
//! once, every input edge is drawn, and the text is a well-formed digraph.

use tensor::{CustomOp, ParamId, Tape, Tensor, TensorError, Var};

/// The parameters of the network, in the order they are recorded.
struct Params {
    w1: ParamId,
    b1: ParamId,
    w2: ParamId,
    b2: ParamId,
}

/// Records `mean((sigmoid(sigmoid(x W1 + b1) W2 + b2) - y)^2)` for a batch
/// of 5 two-feature samples and a 2-3-1 network.
fn record_two_layer_net(tape: &Tape<f64>) -> Params {
    let params = Params {
        w1: ParamId::new(),
        b1: ParamId::new(),
        w2: ParamId::new(),
        b2: ParamId::new(),
    };
    let x = tape.constant(Tensor::from_fn(&[5, 2], |i| 0.1 * i as f64));
    let y = tape.constant(Tensor::from_fn(&[5, 1], |i| (i % 2) as f64));
    let w1 = tape.param(
        params.w1,
        &Tensor::from_fn(&[2, 3], |i| 0.3 - 0.1 * i as f64),
    );
    let b1 = tape.param(params.b1, &Tensor::new(vec![0.1, -0.2, 0.3], &[3]));
    let w2 = tape.param(params.w2, &Tensor::new(vec![0.5, -0.4, 0.2], &[3, 1]));
    let b2 = tape.param(params.b2, &Tensor::new(vec![-0.1], &[1]));

    let hidden = (x.matmul(w1) + b1).sigmoid();
    let output = (hidden.matmul(w2) + b2).sigmoid();
    let _loss = (output - y).square().mean();
    params
}

/// One node statement of the DOT text: its tape index and its label with
/// the DOT escapes left in place.
struct DotNode {
    id: usize,
    label: String,
}

/// Parses `nID [label="...", ...];` lines.
fn dot_nodes(dot: &str) -> Vec<DotNode> {
    dot.lines()
        .map(str::trim)
        .filter(|line| {
            let numbered = line.len() > 1 && line.as_bytes()[1].is_ascii_digit();
            line.starts_with('n') && numbered && !line.contains("->")
        })
        .map(|line| {
            let (name, attributes) = line.split_once(" [").expect("node line has attributes");
            let id = name[1..]
                .parse()
                .expect("node name is n followed by a number");
            let start = attributes.find("label=\"").expect("node has a label") + 7;
            let end = attributes[start..]
                .find("\", ")
                .expect("label is followed by another attribute");
            DotNode {
                id,
                label: attributes[start..start + end].to_string(),
            }
        })
        .collect()
}

/// Parses `nA -> nB` lines into `(A, B)` pairs, in order.
fn dot_edges(dot: &str) -> Vec<(usize, usize)> {
    dot.lines()
        .filter_map(|line| line.trim().split_once(" -> "))
        .map(|(from, rest)| {
            let to = rest.split([' ', ';']).next().expect("edge has a head");
            (
                from[1..].parse().expect("tail is n followed by a number"),
                to[1..].parse().expect("head is n followed by a number"),
            )
        })
        .collect()
}

/// Reads the input edges `(input, op)` from the tape's `Display` form, whose
/// op lines read `%3 = matmul(%0, %1) [5, 3] at FILE:LINE:COLUMN`. This is
/// an independent record of the graph to check the DOT text against.
fn display_edges(tape: &Tape<f64>) -> Vec<(usize, usize)> {
    let mut edges = Vec::new();
    for line in tape.to_string().lines() {
        let (node, rest) = line.split_once(" = ").expect("line is `%ID = ...`");
        let node: usize = node[1..].parse().expect("node is % followed by a number");
        let kind = &rest[..rest.find(" [").expect("shape follows the kind")];
        if let Some(open) = kind.find('(') {
            let arguments = &kind[open + 1..kind.len() - 1];
            for argument in arguments.split(", ") {
                edges.push((argument[1..].parse().expect("input is %ID"), node));
            }
        }
    }
    edges
}

/// Checks that braces balance outside quoted strings, honouring `\"`, and
/// that the outermost block closes at the end of the text.
fn assert_braces_balanced(dot: &str) {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    let mut closed_at = None;
    for (index, c) in dot.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                assert!(depth >= 0, "unmatched `}}` at byte {index}");
                if depth == 0 {
                    closed_at = Some(index);
                }
            }
            _ => {}
        }
    }
    assert!(!in_string, "a quoted string is not closed");
    assert_eq!(depth, 0, "{depth} `{{` left open");
    assert_eq!(
        closed_at,
        Some(dot.trim_end().len() - 1),
        "text after the graph"
    );
}

#[test]
fn dot_names_every_op_once() {
    let tape = Tape::<f64>::new();
    record_two_layer_net(&tape);
    let nodes = dot_nodes(&tape.to_dot());

    let ids: Vec<usize> = nodes.iter().map(|node| node.id).collect();
    assert_eq!(ids, (0..tape.len()).collect::<Vec<_>>());
    let count = |name: &str| {
        nodes
            .iter()
            .filter(|node| node.label.split("\\n").next() == Some(name))
            .count()
    };
    assert_eq!(count("matmul"), 2);
    assert_eq!(count("add"), 2);
    assert_eq!(count("sigmoid"), 2);
    assert_eq!(count("sub"), 1);
    assert_eq!(count("square"), 1);
    assert_eq!(count("mean"), 1);
    assert_eq!(count("constant"), 2);
}

#[test]
fn dot_names_every_param_once() {
    let tape = Tape::<f64>::new();
    let params = record_two_layer_net(&tape);
    let dot = tape.to_dot();

    let expected = [
        (params.w1, "[2, 3]"),
        (params.b1, "[3]"),
        (params.w2, "[3, 1]"),
        (params.b2, "[1]"),
    ];
    for (id, shape) in expected {
        let label = format!("\"param #{}\\n{shape}\"", id.get());
        assert_eq!(dot.matches(&label).count(), 1, "label {label} in\n{dot}");
    }
    assert_eq!(dot.matches("param #").count(), 4);
}

#[test]
fn dot_is_digraph_with_every_input_edge() {
    let tape = Tape::<f64>::new();
    record_two_layer_net(&tape);
    let dot = tape.to_dot();

    assert!(dot.starts_with("digraph tape {\n"), "header in\n{dot}");
    assert_braces_balanced(&dot);
    let expected = display_edges(&tape);
    // matmul, add, matmul, add, sub have two inputs, the other four ops one.
    assert_eq!(expected.len(), 5 * 2 + 4);
    assert_eq!(dot.matches("->").count(), expected.len());
    let mut edges = dot_edges(&dot);
    let mut expected = expected;
    edges.sort_unstable();
    expected.sort_unstable();
    assert_eq!(edges, expected);
}

#[test]
fn dot_styles_leaf_kinds_apart() {
    let tape = Tape::<f64>::new();
    let id = ParamId::new();
    let x = tape.constant(Tensor::ones(&[2]));
    let v = tape.var(Tensor::ones(&[2]));
    let p = tape.param(id, &Tensor::ones(&[2]));
    assert_eq!(
        format!("{x:?} {v:?} {p:?}"),
        "Var(%0, [2]) Var(%1, [2]) Var(%2, [2])"
    );
    let from_constants = x * 2.0;
    let _loss = (from_constants * v * p).sum();
    let dot = tape.to_dot();
    let line = |node: usize| {
        dot.lines()
            .find(|line| line.trim_start().starts_with(&format!("n{node} [")))
            .expect("node line is present")
            .to_string()
    };

    // Nodes are numbered in recording order: x, v, p, then the ops.
    assert!(line(0).contains("label=\"constant\\n[2]\""));
    assert!(line(0).contains("style=dashed"));
    assert!(line(1).contains("label=\"var\\n[2]\""));
    assert!(line(1).contains("fillcolor=\"#d9ead3\""));
    assert!(line(2).contains(&format!("label=\"param #{}\\n[2]\"", id.get())));
    assert!(line(2).contains("fillcolor=\"#cfe2f3\""));
    // An op on constants alone passes no gradient and is drawn dashed, an
    // op on the var is not.
    assert!(line(3).contains("label=\"mul_scalar\\n[2]\""));
    assert!(line(3).contains("style=dashed"));
    assert!(line(4).contains("label=\"mul\\n[2]\""));
    assert!(!line(4).contains("style=dashed"));
}

struct Quoted;

impl CustomOp<f64> for Quoted {
    fn name(&self) -> &'static str {
        r#"say "hi" \ now"#
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        Ok(inputs[0].clone())
    }

    fn backward(
        &self,
        _inputs: &[&Tensor<f64>],
        _output: &Tensor<f64>,
        grad_output: &Tensor<f64>,
    ) -> Vec<Option<Tensor<f64>>> {
        vec![Some(grad_output.clone())]
    }
}

#[test]
fn dot_escapes_quotes_in_op_names() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::ones(&[3]));
    let _y = Var::apply(Quoted, &[x]);
    let dot = tape.to_dot();

    assert!(
        dot.contains(r#"label="say \"hi\" \\ now\n[3]""#),
        "escaped label in\n{dot}"
    );
    assert_braces_balanced(&dot);
}
