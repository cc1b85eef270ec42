"""Time the training workloads of `benches/training.rs` in numpy, JAX and PyTorch.

Each workload carries the id of the criterion benchmark with the same maths
(`epoch/w2_xor`, `epoch/w1_linear`, `step/w6_mlp_f32`). The
XOR and linear-set epochs train the 2-10-10-1 sigmoid baseline (f64, full
batch, MSE, SGD lr 0.1, weights from `tests/data`). The `w6` step trains a
784-256-256-10 network (batch 256, sigmoid hidden layers, linear output, MSE
against one-hot targets, SGD lr 0.1, f32). Every implementation is first checked against the
fixtures' final losses or against the numpy step, so a timing never comes
from a wrong computation.

Usage, from the repository root, with the libraries in a virtual
environment (measured with numpy 2.4.6, JAX 0.10.2 and PyTorch 2.15.0):

    python3 -m venv /tmp/peers
    /tmp/peers/bin/pip install numpy==2.4.6 jax==0.10.2 torch==2.15.0
    taskset -c 0 /tmp/peers/bin/python crates/experiments/benches/peers.py --threads 1 [--filter w6]

On Linux, PyPI's `torch` is the CUDA build, a download of several GB; the
script runs it on the CPU.

The script sets the thread variables of OpenBLAS, MKL, OpenMP and XLA before
it imports any library. JAX with more than one thread uses every CPU the
process may run on, so pin the process with `taskset` to as many CPUs as
`--threads` (`taskset -c 0` for one). Libraries that are not installed are skipped with a message.
It prints one line per workload and library: the median time of one epoch
or step over `--samples` samples.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
LR = 0.1
EPOCHS = 10_000
# Final losses after 10,000 epochs, from tests/data/README.md.
FINAL_LOSS = {"linear": 0.01054536029, "xor": 0.04267004339}
BATCH, WIDTHS = 256, (784, 256, 256, 10)
# The criterion ids of the same workloads in benches/training.rs.
BASELINE_IDS = {"xor": "epoch/w2_xor", "linear": "epoch/w1_linear"}
MLP_ID = "step/w6_mlp_f32"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads per library")
    parser.add_argument(
        "--filter",
        default="",
        help="only workloads whose id contains this text: "
        "epoch/w2_xor, epoch/w1_linear, step/w6_mlp_f32",
    )
    parser.add_argument(
        "--samples", type=int, default=30, help="timed samples per workload"
    )
    parser.add_argument(
        "--sample-seconds",
        type=float,
        default=0.05,
        help="minimum length of one sample, in seconds",
    )
    return parser.parse_args()


def limit_threads(threads):
    """Set every thread variable the libraries read at import time."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    # XLA has no flag for a thread count: it runs on one thread without
    # Eigen's thread pool, and on every CPU the process may use otherwise.
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()
    cpus = len(os.sched_getaffinity(0))
    if threads > cpus:
        print(
            f"warning: --threads {threads} but this process may run on {cpus} "
            f"CPU(s); pin it with taskset to {threads} CPUs",
            file=sys.stderr,
        )


def load_fixture(name):
    """Read a fixture file into a dict of name -> list of rows (float64)."""
    tokens = (DATA / f"{name}.txt").read_text().split()
    arrays, i = {}, 0
    while i < len(tokens):
        label, rows, cols = tokens[i], int(tokens[i + 1]), int(tokens[i + 2])
        values = [float(t) for t in tokens[i + 3 : i + 3 + rows * cols]]
        arrays[label] = [values[r * cols : (r + 1) * cols] for r in range(rows)]
        i += 3 + rows * cols
    return arrays


def median_time(run, per_call, samples, sample_seconds):
    """Return the median seconds per unit of work; `run()` does `per_call` units."""
    run()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        if time.perf_counter() - start >= sample_seconds:
            break
        calls *= 2
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        times.append((time.perf_counter() - start) / (calls * per_call))
    return statistics.median(times)


def report(workload, library, seconds):
    if seconds >= 1e-3:
        text = f"{seconds * 1e3:.3f} ms"
    else:
        text = f"{seconds * 1e6:.2f} us"
    print(f"{workload:<16} {library:<10} {text:>12}", flush=True)


def check_loss(workload, library, loss, expected, tolerance):
    if abs(loss - expected) > tolerance * abs(expected):
        sys.exit(f"{workload}/{library}: loss {loss} differs from {expected}")


def numpy_baseline(arrays):
    """Build one hand-written numpy epoch of the baseline, as a closure."""
    import numpy as np

    x, y = np.array(arrays["X"]), np.array(arrays["Y"])
    params = [np.array(arrays[w]) for w in ("W1", "W2", "W3")]
    biases = [np.zeros(w.shape[1]) for w in params]

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def epoch():
        activations = [x]
        for w, b in zip(params, biases):
            activations.append(sigmoid(activations[-1] @ w + b))
        out = activations[-1]
        loss = np.mean((out - y) ** 2)
        delta = 2.0 * (out - y) / out.size * out * (1.0 - out)
        for layer in reversed(range(3)):
            a = activations[layer]
            grad_w, grad_b = a.T @ delta, delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ params[layer].T) * a * (1.0 - a)
            params[layer] -= LR * grad_w
            biases[layer] -= LR * grad_b
        return loss

    def final_loss():
        a = x
        for w, b in zip(params, biases):
            a = sigmoid(a @ w + b)
        return float(np.mean((a - y) ** 2))

    return epoch, final_loss


def jax_baseline(arrays):
    """Build a compiled JAX `lax.fori_loop` over epochs of the baseline."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    x, y = jnp.array(arrays["X"]), jnp.array(arrays["Y"])
    params = tuple(
        (jnp.array(arrays[w]), jnp.zeros(len(arrays[w][0]))) for w in ("W1", "W2", "W3")
    )

    def loss_fn(params):
        a = x
        for w, b in params:
            a = jax.nn.sigmoid(a @ w + b)
        return jnp.mean((a - y) ** 2)

    def step(_, params):
        grads = jax.grad(loss_fn)(params)
        return jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)

    train = jax.jit(lambda params, n: jax.lax.fori_loop(0, n, step, params))
    loss = jax.jit(loss_fn)
    return train, loss, params


def torch_baseline(arrays):
    """Build an eager PyTorch epoch of the baseline with `nn` and `optim.SGD`."""
    import torch

    layers = []
    for name in ("W1", "W2", "W3"):
        w = torch.tensor(arrays[name], dtype=torch.float64)
        linear = torch.nn.Linear(w.shape[0], w.shape[1], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(w.T)
            linear.bias.zero_()
        layers += [linear, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    x = torch.tensor(arrays["X"], dtype=torch.float64)
    y = torch.tensor(arrays["Y"], dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def epoch():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def final_loss():
        with torch.no_grad():
            return float(torch.nn.functional.mse_loss(model(x), y))

    return epoch, final_loss


def bench_baseline(name, args):
    workload = BASELINE_IDS[name]
    arrays = load_fixture(name)
    try:
        epoch, final_loss = numpy_baseline(arrays)
        for _ in range(EPOCHS):
            epoch()
        check_loss(workload, "numpy", final_loss(), FINAL_LOSS[name], 1e-8)
        epoch, _ = numpy_baseline(arrays)
        report(workload, "numpy", median_time(epoch, 1, args.samples, args.sample_seconds))
    except ImportError as error:
        print(f"{workload}: numpy skipped ({error})")
    try:
        import jax

        train, loss, params = jax_baseline(arrays)
        trained = train(params, EPOCHS)
        check_loss(workload, "jax", float(loss(trained)), FINAL_LOSS[name], 1e-8)
        chunk = 1000

        def run():
            jax.block_until_ready(train(params, chunk))

        report(workload, "jax", median_time(run, chunk, args.samples, args.sample_seconds))
    except ImportError as error:
        print(f"{workload}: jax skipped ({error})")
    try:
        epoch, final_loss = torch_baseline(arrays)
        import torch

        torch.set_num_threads(args.threads)
        for _ in range(EPOCHS):
            epoch()
        check_loss(workload, "pytorch", final_loss(), FINAL_LOSS[name], 1e-8)
        epoch, _ = torch_baseline(arrays)
        report(
            workload, "pytorch", median_time(epoch, 1, args.samples, args.sample_seconds)
        )
    except ImportError as error:
        print(f"{workload}: pytorch skipped ({error})")


def mlp_data():
    """Make seeded random data, one-hot targets and Xavier-uniform weights (f32)."""
    import numpy as np

    rng = np.random.default_rng(7)
    x = rng.random((BATCH, WIDTHS[0]), dtype=np.float32)
    y = np.zeros((BATCH, WIDTHS[-1]), dtype=np.float32)
    y[np.arange(BATCH), rng.integers(0, WIDTHS[-1], BATCH)] = 1.0
    params = []
    for fan_in, fan_out in zip(WIDTHS, WIDTHS[1:]):
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        w = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        params.append((w, np.zeros(fan_out, dtype=np.float32)))
    return x, y, params


def numpy_mlp(x, y, params):
    """Build the `w6` step by hand in numpy, as a closure that updates in place."""
    import numpy as np

    params = [(w.copy(), b.copy()) for w, b in params]

    def step():
        activations = [x]
        for i, (w, b) in enumerate(params):
            z = activations[-1] @ w + b
            last = i == len(params) - 1
            activations.append(z if last else 1.0 / (1.0 + np.exp(-z)))
        out = activations[-1]
        loss = np.mean((out - y) ** 2)
        delta = 2.0 * (out - y) / out.size
        for layer in reversed(range(len(params))):
            a = activations[layer]
            w, b = params[layer]
            grad_w, grad_b = a.T @ delta, delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ w.T) * a * (1.0 - a)
            w -= np.float32(LR) * grad_w
            b -= np.float32(LR) * grad_b
        return loss

    return step


def jax_mlp(x, y, params):
    """Build the `w6` step in JAX, compiled with `jit`; return (step, state)."""
    import jax
    import jax.numpy as jnp

    x, y = jnp.asarray(x), jnp.asarray(y)

    def loss_fn(params):
        a = x
        for i, (w, b) in enumerate(params):
            a = a @ w + b
            if i < len(params) - 1:
                a = jax.nn.sigmoid(a)
        return jnp.mean((a - y) ** 2)

    @jax.jit
    def step(params):
        loss, grads = jax.value_and_grad(loss_fn)(params)
        return loss, jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)

    return step, tuple((jnp.asarray(w), jnp.asarray(b)) for w, b in params)


def torch_mlp(x, y, params):
    """Build the `w6` step in eager PyTorch with `nn` and `optim.SGD`."""
    import torch

    layers = []
    for i, (w, b) in enumerate(params):
        linear = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step


def bench_mlp(args):
    workload = MLP_ID
    try:
        x, y, params = mlp_data()
    except ImportError as error:
        print(f"{workload}: skipped, the data needs numpy ({error})")
        return
    step = numpy_mlp(x, y, params)
    expected = [float(step()) for _ in range(5)]
    report(
        workload,
        "numpy",
        median_time(numpy_mlp(x, y, params), 1, args.samples, args.sample_seconds),
    )
    try:
        import jax

        step, state = jax_mlp(x, y, params)
        for i in range(5):
            loss, state = step(state)
            check_loss(workload, "jax", float(loss), expected[i], 1e-4)
        holder = [state]

        def run():
            loss, holder[0] = step(holder[0])
            jax.block_until_ready(loss)

        report(workload, "jax", median_time(run, 1, args.samples, args.sample_seconds))
    except ImportError as error:
        print(f"{workload}: jax skipped ({error})")
    try:
        import torch

        torch.set_num_threads(args.threads)
        step = torch_mlp(x, y, params)
        for i in range(5):
            check_loss(workload, "pytorch", step(), expected[i], 1e-4)
        report(
            workload,
            "pytorch",
            median_time(step, 1, args.samples, args.sample_seconds),
        )
    except ImportError as error:
        print(f"{workload}: pytorch skipped ({error})")


def main():
    args = parse_args()
    limit_threads(args.threads)
    for name in ("xor", "linear"):
        if args.filter in BASELINE_IDS[name]:
            bench_baseline(name, args)
    if args.filter in MLP_ID:
        bench_mlp(args)


if __name__ == "__main__":
    main()
