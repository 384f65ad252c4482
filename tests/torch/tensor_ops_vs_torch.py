#!/usr/bin/python3
"""Every tensor op, NN function and coursework network against PyTorch autograd.

For each case, gradc's value (`gradc eval`) and gradients (`gradc grad`) are compared with
PyTorch's, in float32 and float64, on seeded random shapes and values passed as .npy files.
A tensor-valued output y is differentiated as sum(y * c) with c a random input of y's shape
(so the whole vector-Jacobian product is checked, not only the all-ones seed, which would
hide a wrong softmax rule: the gradient of sum(softmax(x)) is zero). The reference is always
computed by PyTorch in float64 from the very inputs gradc was given (rounded to float32 for
the f32 runs). Jacobians (`gradc jacobian`) are checked against torch.autograd.functional.

Tolerance: |gradc - torch| <= rtol * (|torch| + max|torch over the tensor|), rtol 1e-5 (f32)
and 1e-10 (f64): relative to the tensor's magnitude, so an entry that is tiny through
cancellation does not fail on rounding noise, yet any wrong rule (a missing mean, a wrong
slope, tanh-GELU for exact GELU) is off by far more. `--mutants` proves that: it swaps in
wrong references and checks that every one of them is caught.

Run by ctest when Debian's python3-torch is installed (exit 77 = skipped otherwise).
Usage: tensor_ops_vs_torch.py PATH/TO/gradc [--mutants] [-k SUBSTRING]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("PyTorch or NumPy is not installed (apt-get install python3-torch): skipped")
    sys.exit(77)

T = torch
GRADC = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
RTOL = {"f32": 1e-5, "f64": 1e-10}


class Case:
    """A gradc program, its inputs and the same function in PyTorch.

    inputs: name -> (kind, shape). The shape is a comma-separated string of numbers and
    dim names ("B,n,1", "" for a scalar); each dim name gets a random size in 2..6 per case
    unless `dims` fixes it. Kinds: any (±0.1..2), w (weights ~ N(0, 1/fan-in)), he (the same, fan-in = first dim), nz (±0.5..2, for divisors), pos (0.1..3),
    small (±1.2, for tan), unit (0.05..0.95: probabilities, BCE targets), bits (0 or 1),
    probs (rows summing to 1), onehot (one-hot rows), labelK (int64 class indices < K),
    cot (the random cotangent; used internally), or a numpy array (fixed values).
    wrt: the inputs to differentiate (passed as --wrt); None = the program's params, which
    is gradc's default and is checked as such.
    """

    def __init__(self, name, program, inputs, fn, wrt=(), dims=None, jacobian=None):
        self.name, self.program, self.inputs, self.fn = name, program, inputs, fn
        self.wrt, self.dims, self.jacobian = wrt, dims or {}, jacobian


def floats(spec):
    return [n for n, (kind, _) in spec.items() if not (isinstance(kind, str) and kind.startswith("label"))]


# ---------------------------------------------------------------- elementwise and broadcasting
UNARY = [  # gradc function, torch function, domain
    ("exp", T.exp, "any"), ("ln", T.log, "pos"), ("log", T.log, "pos"), ("sqrt", T.sqrt, "pos"),
    ("sin", T.sin, "any"), ("cos", T.cos, "any"), ("tan", T.tan, "small"), ("tanh", T.tanh, "any"),
    ("sigmoid", T.sigmoid, "any"), ("relu", T.relu, "any"), ("abs", T.abs, "any"),
    ("softplus", F.softplus, "any"), ("gelu", lambda x: F.gelu(x), "any"),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.01), "any"),
]
CASES = [Case(f"{f}(x) [B,n]", f"input x[B, n]\ny = {f}(x)", {"x": (dom, "B,n")},
              lambda x, fn=fn: fn(x), wrt=["x"]) for f, fn, dom in UNARY]
CASES += [
    Case("step(x) * x", "input x[B, n]\ny = step(x) * x", {"x": ("any", "B,n")},
         lambda x: (x > 0).double() * x, wrt=["x"]),
    Case("-x^3 [n]", "input x[n]\ny = -x^3", {"x": ("any", "n")}, lambda x: -x ** 3, wrt=["x"]),
    Case("leaky_relu(x, 0.2)", "input x[B, n]\ny = leaky_relu(x, 0.2)", {"x": ("any", "B,n")},
         lambda x: F.leaky_relu(x, 0.2), wrt=["x"]),
    Case("leaky_relu(x, slope=0.3)", "input x[n, m]\ny = leaky_relu(x, slope=0.3)",
         {"x": ("any", "n,m")}, lambda x: F.leaky_relu(x, 0.3), wrt=["x"]),
]
BINARY = [  # gradc operator or function, torch function, domain of a, domain of b
    ("a + b", lambda a, b: a + b, "any", "any"), ("a - b", lambda a, b: a - b, "any", "any"),
    ("a * b", lambda a, b: a * b, "any", "any"), ("a / b", lambda a, b: a / b, "any", "nz"),
    ("a ^ b", lambda a, b: a ** b, "pos", "any"),
    ("max(a, b)", lambda a, b: T.maximum(a, b), "any", "any"),
    ("min(a, b)", lambda a, b: T.minimum(a, b), "any", "any"),
]
BROADCASTS = [("n,1", "m"), ("B,n,m", "n,1"), ("m", "B,1,m"), ("", "n,m"), ("n,m", "")]
CASES += [Case(f"{op} [{sa}] with [{sb}]",
               f"input a{'[' + sa.replace(',', ', ') + ']' if sa else ''}\n"
               f"input b{'[' + sb.replace(',', ', ') + ']' if sb else ''}\ny = {op}",
               {"a": (da, sa), "b": (db, sb)}, fn, wrt=["a", "b"])
          for op, fn, da, db in BINARY for sa, sb in BROADCASTS]
CASES += [
    Case("sigmoid(w*x + b) - tanh(relu(x - w)) + softplus(b)^2 broadcast",
         "input w[n]\ninput x[B, n]\ninput b[B, 1]\n"
         "y = sigmoid(w*x + b) - tanh(relu(x - w)) + softplus(b)^2",
         {"w": ("any", "n"), "x": ("any", "B,n"), "b": ("any", "B,1")},
         lambda w, x, b: T.sigmoid(w * x + b) - T.tanh(T.relu(x - w)) + F.softplus(b) ** 2,
         wrt=["w", "x", "b"]),
    Case("2 * x - 1 / x + 3 (constants)", "input x[n, m]\ny = 2 * x - 1 / x + 3",
         {"x": ("nz", "n,m")}, lambda x: 2 * x - 1 / x + 3, wrt=["x"]),
]

# ---------------------------------------------------------------- matmul, transpose, reshape
MATMUL = [("n,k", "k,m"), ("n,k", "k"), ("k", "k,m"), ("k", "k"), ("B,n,k", "k,m"),
          ("B,n,k", "B,k,m"), ("B,1,n,k", "C,k,m"), ("n,k", "B,k,m"), ("B,n,k", "k")]
CASES += [Case(f"matmul [{sa}] @ [{sb}]",
               f"input a[{sa.replace(',', ', ')}]\ninput b[{sb.replace(',', ', ')}]\ny = a @ b",
               {"a": ("any", sa), "b": ("any", sb)}, lambda a, b: a @ b, wrt=["a", "b"])
          for sa, sb in MATMUL]
CASES += [
    Case("x.T [n,m]", "input x[n, m]\ny = x.T", {"x": ("any", "n,m")}, lambda x: x.T, wrt=["x"]),
    Case("x.T [B,n,m] reverses all axes", "input x[B, n, m]\ny = x.T", {"x": ("any", "B,n,m")},
         lambda x: x.permute(2, 1, 0), wrt=["x"]),
    Case("transpose(x)", "input x[n, m]\ny = transpose(x)", {"x": ("any", "n,m")},
         lambda x: x.T, wrt=["x"]),
    Case("transpose(x, [1, 0, 2])", "input x[B, n, m]\ny = transpose(x, [1, 0, 2])",
         {"x": ("any", "B,n,m")}, lambda x: x.permute(1, 0, 2), wrt=["x"]),
    Case("transpose(x, [0, 2, 1]) @ w", "input x[B, n, m]\ninput w[n, k]\ny = transpose(x, [0, 2, 1]) @ w",
         {"x": ("any", "B,n,m"), "w": ("any", "n,k")}, lambda x, w: x.transpose(1, 2) @ w,
         wrt=["x", "w"]),
    Case("x.T @ w", "input x[n, m]\ninput w[n, k]\ny = x.T @ w",
         {"x": ("any", "n,m"), "w": ("any", "n,k")}, lambda x, w: x.T @ w, wrt=["x", "w"]),
    Case("(a + b).T * a.T", "input a[n, m]\ninput b[m]\ny = (a + b).T * a.T",
         {"a": ("any", "n,m"), "b": ("any", "m")}, lambda a, b: (a + b).T * a.T, wrt=["a", "b"]),
    Case("reshape(x, [3, 4])", "input x[2, 6]\ny = reshape(x, [3, 4]) * 2",
         {"x": ("any", "2,6")}, lambda x: x.reshape(3, 4) * 2, wrt=["x"]),
    # (reshape of a symbolic dim is "not supported yet": the shapes here are numbers)
    Case("reshape(x, [-1])", "input x[3, 5]\ny = exp(reshape(x, [-1]))", {"x": ("any", "3,5")},
         lambda x: T.exp(x.reshape(-1)), wrt=["x"]),
    Case("reshape(x, [2, -1, 3]) @ w", "input x[4, 6]\ninput w[3, 2]\ny = reshape(x, [2, -1, 3]) @ w",
         {"x": ("any", "4,6"), "w": ("any", "3,2")}, lambda x, w: x.reshape(2, -1, 3) @ w,
         wrt=["x", "w"]),
]

# ---------------------------------------------------------------- reductions
REDUCE = [  # gradc options, torch dims, keepdim
    ("", None, False), (", axis=0", 0, False), (", 1", 1, False), (", axis=-1", -1, False),
    (", axis=[0, 2]", (0, 2), False), (", axis=1, keepdims=true", 1, True),
    (", axis=[0, 2], keepdims=true", (0, 2), True), (", axis=[0, 1, 2]", (0, 1, 2), False),
]


def t_reduce(kind, x, dims, keep):
    if dims is None:
        return {"sum": T.sum, "mean": T.mean, "max": T.max}[kind](x)
    if kind == "sum":
        return x.sum(dim=dims, keepdim=keep)
    if kind == "mean":
        return x.mean(dim=dims, keepdim=keep)
    dims = (dims,) if isinstance(dims, int) else dims  # torch.max takes one dim: reduce in turn
    for d in sorted((d % x.dim() for d in dims), reverse=True):
        x = x.max(dim=d, keepdim=keep).values
    return x


CASES += [Case(f"{r}(x{opts}) [B,n,m]", f"input x[B, n, m]\ny = {r}(x{opts})", {"x": ("any", "B,n,m")},
               lambda x, r=r, d=d, k=k: t_reduce(r, x, d, k), wrt=["x"])
          for r in ("sum", "mean", "max") for opts, d, k in REDUCE
          if not (r == "max" and opts == ", 1")]  # max(x, 1) is the elementwise max of x and 1
CASES += [
    Case("max(x, 1) is elementwise", "input x[B, n]\ny = max(x, 1)", {"x": ("any", "B,n")},
         lambda x: T.maximum(x, T.tensor(1.0, dtype=x.dtype)), wrt=["x"]),
    Case("max(x) [n] then * x", "input x[n]\ny = max(x) * x", {"x": ("any", "n")},
         lambda x: T.max(x) * x, wrt=["x"]),
    Case("x - mean(x, axis=0) (centering)", "input x[B, n]\ny = (x - mean(x, axis=0))^2",
         {"x": ("any", "B,n")}, lambda x: (x - x.mean(0)) ** 2, wrt=["x"]),
]

# ---------------------------------------------------------------- softmax family
SOFT = [("", -1, False), (", axis=0", 0, False), (", axis=1", 1, False), (", axis=-1", -1, False)]
for sa in ("n", "B,n", "B,n,m"):
    for opts, d, _ in SOFT:
        if d != -1 and d >= len(sa.split(",")):
            continue
        dec = "[" + sa.replace(",", ", ") + "]"
        CASES += [
            Case(f"softmax(x{opts}) [{sa}]", f"input x{dec}\ny = softmax(x{opts})", {"x": ("any", sa)},
                 lambda x, d=d: T.softmax(x, d), wrt=["x"]),
            Case(f"log_softmax(x{opts}) [{sa}]", f"input x{dec}\ny = log_softmax(x{opts})",
                 {"x": ("any", sa)}, lambda x, d=d: T.log_softmax(x, d), wrt=["x"]),
            Case(f"logsumexp(x{opts}) [{sa}]", f"input x{dec}\ny = logsumexp(x{opts})",
                 {"x": ("any", sa)}, lambda x, d=d: T.logsumexp(x, d), wrt=["x"]),
        ]
CASES += [
    Case("logsumexp(x, axis=0, keepdims=true)", "input x[B, n]\ny = logsumexp(x, axis=0, keepdims=true)",
         {"x": ("any", "B,n")}, lambda x: T.logsumexp(x, 0, keepdim=True), wrt=["x"]),
    Case("logsumexp(x, -1, true) - x", "input x[B, n]\ny = logsumexp(x, -1, true) - x",
         {"x": ("any", "B,n")}, lambda x: T.logsumexp(x, -1, keepdim=True) - x, wrt=["x"]),
    Case("softmax of large logits (x*30)", "input x[B, n]\ny = softmax(x * 30)", {"x": ("any", "B,n")},
         lambda x: T.softmax(x * 30, -1), wrt=["x"]),
]

# ---------------------------------------------------------------- losses
CASES += [
    Case("mse(p, t)", "input p[B, n]\ninput t[B, n]\nl = mse(p, t)",
         {"p": ("any", "B,n"), "t": ("any", "B,n")}, lambda p, t: F.mse_loss(p, t), wrt=["p", "t"]),
    Case("mse(p, t) [n]", "input p[n]\ninput t[n]\nl = mse(p, t)",
         {"p": ("any", "n"), "t": ("any", "n")}, lambda p, t: F.mse_loss(p, t), wrt=["p", "t"]),
    Case("bce(sigmoid(z), t)", "input z[B, n]\ninput t[B, n]\nl = bce(sigmoid(z), t)",
         {"z": ("any", "B,n"), "t": ("unit", "B,n")},
         lambda z, t: F.binary_cross_entropy(T.sigmoid(z), t), wrt=["z", "t"]),
    Case("bce(p, t) binary targets", "input p[B, n]\ninput t[B, n]\nl = bce(p, t)",
         {"p": ("unit", "B,n"), "t": ("bits", "B,n")},
         lambda p, t: F.binary_cross_entropy(p, t), wrt=["p"]),
    Case("bce_with_logits(z, t)", "input z[B, n]\ninput t[B, n]\nl = bce_with_logits(z, t)",
         {"z": ("any", "B,n"), "t": ("unit", "B,n")},
         lambda z, t: F.binary_cross_entropy_with_logits(z, t), wrt=["z", "t"]),
    Case("bce_with_logits(3z, t) [n]", "input z[n]\ninput t[n]\nl = bce_with_logits(3 * z, t)",
         {"z": ("any", "n"), "t": ("bits", "n")},
         lambda z, t: F.binary_cross_entropy_with_logits(3 * z, t), wrt=["z"]),
    Case("cross_entropy(z, labels) [B,5]", "input z[B, 5]\ninput y[B] : int\nl = cross_entropy(z, y)",
         {"z": ("any", "B,5"), "y": ("label5", "B")}, lambda z, y: F.cross_entropy(z, y), wrt=["z"]),
    Case("cross_entropy(z, labels) [5]", "input z[5]\ninput y : int\nl = cross_entropy(z, y)",
         {"z": ("any", "5"), "y": ("label5", "")}, lambda z, y: F.cross_entropy(z[None], y[None]),
         wrt=["z"]),
    Case("cross_entropy(z, labels) [B,T,4]", "input z[B, S, 4]\ninput y[B, S] : int\nl = cross_entropy(z, y)",
         {"z": ("any", "B,S,4"), "y": ("label4", "B,S")},
         lambda z, y: F.cross_entropy(z.reshape(-1, 4), y.reshape(-1)), wrt=["z"]),
    Case("cross_entropy(z, one_hot(y, 6))", "input z[B, 6]\ninput y[B] : int\nl = cross_entropy(z, one_hot(y, 6))",
         {"z": ("any", "B,6"), "y": ("label6", "B")}, lambda z, y: F.cross_entropy(z, y), wrt=["z"]),
    Case("cross_entropy(z, one-hot input)", "input z[B, n]\ninput t[B, n]\nl = cross_entropy(z, t)",
         {"z": ("any", "B,n"), "t": ("onehot", "B,n")}, lambda z, t: F.cross_entropy(z, t), wrt=["z"]),
    Case("cross_entropy(z, probabilities)", "input z[B, n]\ninput t[B, n]\nl = cross_entropy(z, t)",
         {"z": ("any", "B,n"), "t": ("probs", "B,n")}, lambda z, t: F.cross_entropy(z, t),
         wrt=["z", "t"]),
    Case("one_hot(y, 5) * x", "input x[B, 5]\ninput y[B] : int\nh = one_hot(y, 5) * x",
         {"x": ("any", "B,5"), "y": ("label5", "B")}, lambda x, y: F.one_hot(y, 5).double() * x,
         wrt=["x"]),
]

# ---------------------------------------------------------------- coursework networks
CW002 = """# coursework 002, 1.1: Linear1 -> f -> Linear2 -> g, one data point (column vectors)
input x[n]
input y[K]
param W1[m, n]
param b1[m]
param W2[K, m]
param b2[K]
z1 = W1 @ x + b1
z2 = {f}
z3 = W2 @ z2 + b2
y_hat = {g}
loss = {loss}
"""
NET = {"x": ("any", "n"), "W1": ("w", "m,n"), "b1": ("any", "m"), "W2": ("w", "K,m"), "b2": ("any", "K")}
PARAMS = ["W1", "b1", "W2", "b2"]


def two_layer(f, g, loss):
    return lambda x, y, W1, b1, W2, b2: loss(g(W2 @ f(W1 @ x + b1) + b2), y)


def sq_norm(yh, y):
    return ((yh - y) ** 2).sum()


CASES += [
    Case("cw002 1.2 regression: f = 5 ReLU, g = id, ||y_hat - y||^2",
         CW002.format(f="5 * relu(z1)", g="z3", loss="sum((y_hat - y)^2)"), {**NET, "y": ("any", "K")},
         two_layer(lambda z: 5 * T.relu(z), lambda z: z, sq_norm), wrt=None),
    Case("cw002 1.3a classification: f = tanh, g = sigmoid, ||y_hat - y||^2",
         CW002.format(f="tanh(z1)", g="sigmoid(z3)", loss="sum((y_hat - y)^2)"), {**NET, "y": ("bits", "K")},
         two_layer(T.tanh, T.sigmoid, sq_norm), wrt=None),
    Case("cw002 1.3b classification: f = tanh, g = sigmoid, BCE",
         CW002.format(f="tanh(z1)", g="sigmoid(z3)", loss="bce(y_hat, y)"), {**NET, "y": ("bits", "K")},
         two_layer(T.tanh, T.sigmoid, F.binary_cross_entropy), wrt=None),
    Case("cw002 1.3c: f = ReLU, g = tanh, ||y_hat - y||^2",
         CW002.format(f="relu(z1)", g="tanh(z3)", loss="sum((y_hat - y)^2)"), {**NET, "y": ("bits", "K")},
         two_layer(T.relu, T.tanh, sq_norm), wrt=None),
    Case("cw002 batched: X W1.T, 5 ReLU, mse",
         "input X[B, n]\ninput Y[B, K]\nparam W1[m, n]\nparam b1[m]\nparam W2[K, m]\nparam b2[K]\n"
         "h = 5 * relu(X @ W1.T + b1)\nloss = mse(h @ W2.T + b2, Y)",
         {"X": ("any", "B,n"), "Y": ("any", "B,K"), "W1": ("w", "m,n"), "b1": ("any", "m"),
          "W2": ("w", "K,m"), "b2": ("any", "K")},
         lambda X, Y, W1, b1, W2, b2: F.mse_loss(5 * T.relu(X @ W1.T + b1) @ W2.T + b2, Y), wrt=None),
    Case("cw002 batched: tanh, sigmoid, bce",
         "input X[B, n]\ninput Y[B, K]\nparam W1[m, n]\nparam b1[m]\nparam W2[K, m]\nparam b2[K]\n"
         "loss = bce(sigmoid(tanh(X @ W1.T + b1) @ W2.T + b2), Y)",
         {"X": ("any", "B,n"), "Y": ("bits", "B,K"), "W1": ("w", "m,n"), "b1": ("any", "m"),
          "W2": ("w", "K,m"), "b2": ("any", "K")},
         lambda X, Y, W1, b1, W2, b2: F.binary_cross_entropy(T.sigmoid(T.tanh(X @ W1.T + b1) @ W2.T + b2), Y),
         wrt=None),
]

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
XOR1 = "input X[4, 2]\ninput Y[4, 1]\nparam W[1, 2]\nparam b[1]\ny_hat = relu(X @ W.T + b)\nloss = mse(y_hat, Y)"
XOR2 = ("input X[4, 2]\ninput Y[4, 1]\nparam W1[2, 2]\nparam b1[2]\nparam W2[1, 2]\nparam b2[1]\n"
        "h = relu(X @ W1.T + b1)\ny_hat = h @ W2.T + b2\nloss = mse(y_hat, Y)")
XOR_IN = {"X": (XOR_X, "4,2"), "Y": (XOR_Y, "4,1")}


def xor2(X, Y, W1, b1, W2, b2):
    return F.mse_loss(T.relu(X @ W1.T + b1) @ W2.T + b2, Y)


CASES += [
    Case("cw003 XOR single layer relu(W x + b), random", XOR1,
         {**XOR_IN, "W": ("any", "1,2"), "b": ("any", "1")},
         lambda X, Y, W, b: F.mse_loss(T.relu(X @ W.T + b), Y), wrt=None),
    Case("cw003 XOR two layers, random", XOR2,
         {**XOR_IN, "W1": ("any", "2,2"), "b1": ("any", "2"), "W2": ("any", "1,2"), "b2": ("any", "1")},
         xor2, wrt=None),
    Case("cw003 XOR two layers, the answer's weights (relu at 0)", XOR2,
         {**XOR_IN, "W1": (np.ones((2, 2)), "2,2"), "b1": (np.array([0.0, -1.0]), "2"),
          "W2": (np.array([[1.0, -2.0]]), "1,2"), "b2": (np.zeros(1), "1")}, xor2, wrt=None),
    Case("cw003 XOR two layers, zero init (only b2 moves)", XOR2,
         {**XOR_IN, "W1": (np.zeros((2, 2)), "2,2"), "b1": (np.zeros(2), "2"),
          "W2": (np.zeros((1, 2)), "1,2"), "b2": (np.zeros(1), "1")}, xor2, wrt=None),
    Case("cw003 XOR two layers, constant init 0.5", XOR2,
         {**XOR_IN, "W1": (np.full((2, 2), .5), "2,2"), "b1": (np.full(2, .5), "2"),
          "W2": (np.full((1, 2), .5), "1,2"), "b2": (np.full(1, .5), "1")}, xor2, wrt=None),
]

with open(os.path.join(EXAMPLES, "coursework_004_q3.grad")) as f:
    CW004 = f.read()
with open(os.path.join(EXAMPLES, "mlp.grad")) as f:
    MLP = f.read()


def cw004(x, y, W, b1, U, b2):
    return -(y * T.log(T.softmax(U @ T.relu(W @ x + b1) + b2, -1))).sum()


def mlp(x, y, W1, b1, W2, b2, W3, b3, W4, b4):
    h = T.relu(T.relu(T.relu(x @ W1 + b1) @ W2 + b2) @ W3 + b3)
    return F.cross_entropy(h @ W4 + b4, y)


CASES += [
    Case("cw004 q2: w2.T ReLU(W1 x + b1) + b2 (scalar b2)",
         "input x[n]\nparam W1[m, n]\nparam b1[m]\nparam w2[m]\nparam b2\ny = w2 @ relu(W1 @ x + b1) + b2",
         {"x": ("any", "n"), "W1": ("w", "m,n"), "b1": ("any", "m"), "w2": ("any", "m"), "b2": ("any", "")},
         lambda x, W1, b1, w2, b2: w2 @ T.relu(W1 @ x + b1) + b2, wrt=None),
    Case("cw004 q3: examples/coursework_004_q3.grad", CW004,
         {"x": ("any", "n"), "y": ("onehot", "k"), "W": ("w", "m,n"), "b1": ("any", "m"),
          "U": ("w", "k,m"), "b2": ("any", "k")}, cw004, wrt=None),
    Case("cw004 q3 with --wrt x, y", CW004,
         {"x": ("any", "n"), "y": ("onehot", "k"), "W": ("w", "m,n"), "b1": ("any", "m"),
          "U": ("w", "k,m"), "b2": ("any", "k")}, cw004, wrt=["x", "y"]),
    Case("cw004 q3 batched: softmax/cross_entropy with labels",
         "input X[B, n]\ninput y[B] : int\nparam W[m, n]\nparam b1[m]\nparam U[5, m]\nparam b2[5]\n"
         "h = relu(X @ W.T + b1)\nJ = cross_entropy(h @ U.T + b2, y)",
         {"X": ("any", "B,n"), "y": ("label5", "B"), "W": ("w", "m,n"), "b1": ("any", "m"),
          "U": ("w", "5,m"), "b2": ("any", "5")},
         lambda X, y, W, b1, U, b2: F.cross_entropy(T.relu(X @ W.T + b1) @ U.T + b2, y), wrt=None),
    Case("MLP 784-256-128-64-10, batch 8: examples/mlp.grad", MLP,
         {"x": ("any", "B,784"), "y": ("label10", "B"), "W1": ("he", "784,256"), "b1": ("any", "256"),
          "W2": ("he", "256,128"), "b2": ("any", "128"), "W3": ("he", "128,64"), "b3": ("any", "64"),
          "W4": ("he", "64,10"), "b4": ("any", "10")}, mlp, wrt=None, dims={"B": 8}),
]

# ---------------------------------------------------------------- Jacobians (gradc jacobian)
JACOBIANS = [
    Case("J of X w (= X)", "input X[n, d]\ninput w[d]\nf = X @ w", {"X": ("any", "n,d"), "w": ("any", "d")},
         lambda X, w: X @ w, jacobian="w"),
    Case("J of w * w (= diag 2w)", "input w[d]\nf = w * w", {"w": ("any", "d")}, lambda w: w * w, jacobian="w"),
    Case("J of softmax(w) (= diag s - s s.T)", "input w[d]\nf = softmax(w)", {"w": ("any", "d")},
         lambda w: T.softmax(w, -1), jacobian="w"),
    Case("J of X W.T, [2,3] output, W [3,d]", "input X[2, d]\ninput W[3, d]\nf = X @ W.T",
         {"X": ("any", "2,d"), "W": ("any", "3,d")}, lambda X, W: X @ W.T, jacobian="W"),
    Case("J of tanh(A) * A, [2,3] in and out", "input A[2, 3]\nf = tanh(A) * A", {"A": ("any", "2,3")},
         lambda A: T.tanh(A) * A, jacobian="A"),
    Case("J of ||w||^2 (= 2w)", "input w[d]\nf = sum(w^2)", {"w": ("any", "d")}, lambda w: (w ** 2).sum(),
         jacobian="w"),
    Case("J of log_softmax(X w), [n] output", "input X[n, d]\ninput w[d]\nf = log_softmax(X @ w)",
         {"X": ("any", "n,d"), "w": ("any", "d")}, lambda X, w: T.log_softmax(X @ w, -1), jacobian="w"),
]

# Wrong references: each must make at least one check fail (run with --mutants).
MUTANTS = {
    "mse(p, t)": lambda p, t: ((p - t) ** 2).sum(),                      # no mean
    "gelu(x) [B,n]": lambda x: F.gelu(x, approximate="tanh"),           # tanh approximation
    "leaky_relu(x, 0.2)": lambda x: F.leaky_relu(x, 0.02),              # wrong slope
    "cross_entropy(z, labels) [B,5]": lambda z, y: F.cross_entropy(z, y, reduction="sum"),
    "softmax(x) [B,n]": lambda x: T.softmax(x, -1).detach() + 0 * x,   # gradient dropped
    "bce_with_logits(z, t)": lambda z, t: F.binary_cross_entropy_with_logits(z, t) * (1 + 1e-4),
    "sum(x, axis=[0, 2], keepdims=true) [B,n,m]": lambda x: x.sum(dim=(0, 1), keepdim=True),
    "matmul [B,n,k] @ [B,k,m]": lambda a, b: a @ (b * (1 + 1e-4)),
    "cw004 q3: examples/coursework_004_q3.grad":
        lambda x, y, W, b1, U, b2: -(y * T.log(T.softmax(U @ T.tanh(W @ x + b1) + b2, -1))).sum(),
    "J of softmax(w) (= diag s - s s.T)": lambda w: T.softmax(w, -1) * (1 + 1e-4),
}


# ---------------------------------------------------------------- the runner
def make_inputs(case, rng):
    """Random sizes for the named dims, then each input's values as float64 / int64 arrays."""
    sizes = dict(case.dims)
    values = {}
    for name, (kind, shape) in case.inputs.items():
        dims = []
        for d in filter(None, shape.split(",")):
            if not d.isdigit() and d not in sizes:
                sizes[d] = int(rng.integers(2, 7))
            dims.append(int(d) if d.isdigit() else sizes[d])
        dims = tuple(dims)
        if not isinstance(kind, str):
            v = np.asarray(kind, dtype=np.float64)
            assert v.shape == dims, (name, v.shape, dims)
        elif kind.startswith("label"):
            v = rng.integers(0, int(kind[5:]), size=dims).astype(np.int64)
        elif kind == "any":
            v = rng.choice([-1.0, 1.0], size=dims) * rng.uniform(0.1, 2.0, size=dims)
        elif kind == "nz":
            v = rng.choice([-1.0, 1.0], size=dims) * rng.uniform(0.5, 2.0, size=dims)
        elif kind == "pos":
            v = rng.uniform(0.1, 3.0, size=dims)
        elif kind == "small":
            v = rng.uniform(-1.2, 1.2, size=dims)
        elif kind == "unit":
            v = rng.uniform(0.05, 0.95, size=dims)
        elif kind == "bits":
            v = rng.integers(0, 2, size=dims).astype(np.float64)
        elif kind == "w":  # weights of W @ x: moderate pre-activations, tanh/sigmoid not saturated
            v = rng.standard_normal(dims) / np.sqrt(dims[-1])
        elif kind == "he":
            v = rng.standard_normal(dims) * np.sqrt(2.0 / dims[0])
        elif kind == "probs":
            v = rng.uniform(0.0, 1.0, size=dims)
            v /= v.sum(axis=-1, keepdims=True)
        elif kind == "onehot":
            v = np.eye(dims[-1])[rng.integers(0, dims[-1], size=dims[:-1])]
        else:
            raise ValueError(kind)
        values[name] = np.asarray(v)
    return values, sizes


def run_gradc(command, program, values, dtype, extra, tmp):
    """Runs gradc with the values as .npy files; returns {file stem: array} from --save-dir."""
    out = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(out, "prog.grad"), "w") as f:
        f.write(program + "\n")
    at = []
    for name, v in values.items():
        path = os.path.join(out, f"in_{name}.npy")
        np.save(path, v if v.dtype == np.int64 else v.astype(np.float32 if dtype == "f32" else np.float64))
        at.append(f"{name}={path}")
    save = os.path.join(out, "save")
    cmd = [GRADC, command, os.path.join(out, "prog.grad"), "--at", ",".join(at), "--dtype", dtype,
           "--json", "--save-dir", save] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"gradc {command} exited {r.returncode}: {r.stderr.strip()}")
    reply = json.loads(r.stdout)
    got = {f[:-4]: np.load(os.path.join(save, f)) for f in os.listdir(save)}
    return reply, got


def as_inputs(values, dtype):
    """The values gradc saw (rounded to float32 for f32 runs), as float64 tensors for PyTorch."""
    t = {}
    for name, v in values.items():
        if v.dtype != np.int64 and dtype == "f32":
            v = v.astype(np.float32)
        t[name] = T.tensor(v, dtype=T.int64 if v.dtype == np.int64 else T.float64)
    return t


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, label, got, want, dtype):
        """|got - want| <= rtol * (|want| + max|want|), shapes equal, got of the compute type."""
        rtol = RTOL[dtype]
        want = want.detach().numpy() if isinstance(want, T.Tensor) else np.asarray(want)
        got = np.asarray(got)
        problem = None
        if got.shape != want.shape:
            problem = f"shape {list(got.shape)}, torch {list(want.shape)}"
        elif got.dtype != (np.float32 if dtype == "f32" else np.float64):
            problem = f"saved as {got.dtype}"
        else:
            scale = float(np.max(np.abs(want))) if want.size else 0.0
            err = np.abs(got.astype(np.float64) - want)
            with np.errstate(divide="ignore", invalid="ignore"):  # 0/0: exact zero, fine
                rel = np.where(err == 0, 0.0, err / (np.abs(want) + scale))
            rel = np.where(np.isnan(rel), np.inf, rel)  # NaN from gradc fails
            worst = float(np.max(rel)) if want.size else 0.0
            if worst > rtol:
                i = np.unravel_index(np.argmax(rel), rel.shape)
                problem = (f"at {list(i)}: gradc {got[i]!r}, torch {want[i]!r} "
                           f"(error / (|torch| + max|torch|) = {worst:.1e} > rtol {rtol:g})")
        if problem:
            self.failed += 1
            print(f"FAIL {label}: {problem}")
            if want.size <= 12:
                print(f"     gradc {got.tolist()}\n     torch {want.tolist()}")
        else:
            self.passed += 1
            print(f"ok   {label}  (relative error {worst:.1e})")
        return not problem

    def error(self, label, message):
        self.failed += 1
        print(f"FAIL {label}: {message}")


def literal_dims(program, sizes):
    """The program with each declared named dim replaced by its size."""
    def fill(m):
        return m.group(1) + re.sub(r"[A-Za-z_]\w*", lambda d: str(sizes[d.group()]), m.group(2))
    return re.sub(r"^(\s*(?:input|param)\s+\w+\s*)(\[[^]]*\])", fill, program, flags=re.M)


def output_name(program):
    return re.findall(r"^\s*([A-Za-z_]\w*)\s*=(?!=)", program, re.M)[-1]


def run_case(case, dtype, rng, tmp, tally):
    values, sizes = make_inputs(case, rng)
    t = as_inputs(values, dtype)
    label = f"{dtype} {case.name}"
    if case.jacobian:
        w = case.jacobian
        want_y = case.fn(**t)
        want_j = T.autograd.functional.jacobian(lambda v: case.fn(**{**t, w: v}), t[w])
        try:
            _, got = run_gradc("jacobian", case.program, values, dtype, ["--wrt", w], tmp)
        except RuntimeError as e:
            return tally.error(label, str(e))
        tally.check(f"{label}: value", got["value"], want_y, dtype)
        tally.check(f"{label}: jacobian d{output_name(case.program)}/d{w}", got[f"jacobian_{w}"], want_j, dtype)
        return

    params = re.findall(r"^\s*param\s+([A-Za-z_]\w*)", case.program, re.M)
    wrt = params if case.wrt is None else list(case.wrt)
    for n in wrt:
        t[n].requires_grad_(True)
    y = case.fn(**t)
    program, extra = case.program, ([] if case.wrt is None else ["--wrt", ",".join(wrt)])
    if y.dim() > 0:  # a tensor output: check its value, then the gradient of sum(y * cot)
        try:
            _, got = run_gradc("eval", program, values, dtype, [], tmp)
        except RuntimeError as e:
            return tally.error(f"{label}: value", str(e))
        tally.check(f"{label}: value", got["value"], y, dtype)
        cot = rng.standard_normal(tuple(y.shape))
        if dtype == "f32":
            cot = cot.astype(np.float32)
        # Shapes are checked symbolically, so a literal-shaped cot__ needs literal dims everywhere.
        program = literal_dims(program, sizes)
        dims = ", ".join(str(d) for d in y.shape)
        program += f"\ninput cot__[{dims}]\nseeded__ = sum({output_name(program)} * cot__)"
        values = {**values, "cot__": cot}
        y = (y * T.tensor(cot, dtype=T.float64)).sum()
    want = dict(zip(wrt, T.autograd.grad(y, [t[n] for n in wrt], allow_unused=True)))
    try:
        reply, got = run_gradc("grad", program, values, dtype, extra, tmp)
    except RuntimeError as e:
        return tally.error(f"{label}: grad", str(e))
    if sorted(reply["grad"]) != sorted(wrt):
        tally.error(f"{label}: grad", f"gradients for {sorted(reply['grad'])}, expected {sorted(wrt)}")
    tally.check(f"{label}: value" if program == case.program else f"{label}: value of sum(y * c)",
                got["value"], y, dtype)
    for n in wrt:
        g = want[n] if want[n] is not None else T.zeros_like(t[n])
        if f"grad_{n}" not in got:
            tally.error(f"{label}: grad {n}", "no grad file written")
        else:
            tally.check(f"{label}: grad {n}", got[f"grad_{n}"], g, dtype)


def seeded(case):
    """The same shapes and values for a case whatever else runs (-k reproduces a failure)."""
    return np.random.default_rng([20261123, zlib.crc32(case.name.encode())])


def main():
    args = sys.argv[2:]
    only = args[args.index("-k") + 1] if "-k" in args else ""
    cases = [c for c in CASES + JACOBIANS if only in c.name]
    with tempfile.TemporaryDirectory(prefix="gradc-torch-") as tmp:
        if "--mutants" in args:
            return run_mutants(cases, tmp)
        tally = Tally()
        for case in cases:
            for dtype in ("f64", "f32"):
                run_case(case, dtype, seeded(case), tmp, tally)
    print(f"torch tensor ops: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


def run_mutants(cases, tmp):
    """Each wrong reference must fail at least one check in each dtype."""
    missed = 0
    for case in cases:
        if case.name not in MUTANTS:
            continue
        for dtype in ("f64", "f32"):
            tally = Tally()
            mutant = Case(case.name, case.program, case.inputs, MUTANTS[case.name], case.wrt, case.dims,
                          case.jacobian)
            run_case(mutant, dtype, seeded(case), tmp, tally)
            caught = tally.failed > 0
            missed += not caught
            print(f"{'caught' if caught else 'MISSED'} mutant {dtype} {case.name}")
    unknown = set(MUTANTS) - {c.name for c in cases}
    if unknown and not any("-k" == a for a in sys.argv):
        print(f"mutants naming no case: {sorted(unknown)}")
        missed += len(unknown)
    print(f"mutants: {missed} missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
