#!/usr/bin/python3
"""gradc train against PyTorch: the same network, initial weights and batch order, and the
per-step losses must track each other for a few hundred steps, for sgd, momentum and adam.

The data (a seeded random 4-class problem, 20 features) and the initial weights are written
as .npy files; gradc reads the weights with --at W=FILE.npy, keeps the data's order with
--no-shuffle and writes each step's loss (computed before that step's update, as PyTorch's
loop below does) with --log-steps. PyTorch runs the same 20-32-16-4 ReLU MLP in float32 with
torch.optim.SGD (momentum 0 and 0.9) and torch.optim.Adam, batches taken in order with a
partial last one, as DataLoader(shuffle=False) does.

Tolerance: |gradc - torch| <= 2e-5 * |torch| at every one of the 304 steps. Both compute in
float32 but sum in different orders (oneDNN's GEMM and gradc's fused loops against
OpenBLAS), so single steps agree to a few ulps (f32 epsilon 6e-8) and the difference may
grow as the trajectories drift apart. Measured on the development machine, the largest
relative gap over the 304 steps: sgd 7.8e-7, momentum 1.8e-6, adam 3.3e-7. 2e-5 is ten times
the largest, yet a wrong formula is far outside it: `--mutants` runs PyTorch with a changed
optimiser (momentum 0.8 instead of 0.9, Adam without bias correction after its first step,
lr off by 1 %) and checks that each is caught.

Run by ctest when Debian's python3-torch is installed (exit 77 = skipped otherwise).
Usage: train_vs_torch.py PATH/TO/gradc [--mutants]
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError:
    print("PyTorch or NumPy is not installed (apt-get install python3-torch): skipped")
    sys.exit(77)

GRADC = sys.argv[1]
MUTANTS = "--mutants" in sys.argv
RTOL = 2e-5
N, FEATURES, CLASSES, BATCH, EPOCHS = 600, 20, 4, 32, 16  # 19 steps an epoch (the last of 24): 304 steps

MODEL = """input x[B, 20]
input y[B] : int
param W1[20, 32] = he()
param b1[32] = zeros()
param W2[32, 16] = he()
param b2[16] = zeros()
param W3[16, 4] = xavier()
param b3[4] = zeros()
logits = relu(relu(x @ W1 + b1) @ W2 + b2) @ W3 + b3
loss = cross_entropy(logits, y)
"""


def make_data(d):
    rng = np.random.default_rng(7)
    centers = rng.normal(0, 1, (CLASSES, FEATURES))
    for split, n in (("train", N), ("test", 200)):
        y = rng.integers(0, CLASSES, n)
        x = (centers[y] + rng.normal(0, 1.5, (n, FEATURES))).astype(np.float32)
        np.save(os.path.join(d, f"{split}_x.npy"), x)
        np.save(os.path.join(d, f"{split}_y.npy"), y.astype(np.int64))
    weights = {}
    for name, shape in (("W1", (20, 32)), ("b1", (32,)), ("W2", (32, 16)), ("b2", (16,)), ("W3", (16, 4)), ("b3", (4,))):
        weights[name] = (rng.normal(0, np.sqrt(2 / shape[0]) if len(shape) == 2 else 0.1, shape)).astype(np.float32)
        np.save(os.path.join(d, f"{name}.npy"), weights[name])
    return weights


def gradc_losses(d, optimizer, lr):
    model = os.path.join(d, "mlp.grad")
    with open(model, "w") as f:
        f.write(MODEL)
    log = os.path.join(d, f"steps-{optimizer}.csv")
    cmd = [GRADC, "train", model, "--data", d, "--batch", str(BATCH), "--epochs", str(EPOCHS), "--optimizer",
           optimizer, "--lr", str(lr), "--no-shuffle", "--log-steps", log]
    cmd += [f"--at={n}={os.path.join(d, n + '.npy')}" for n in ("W1", "b1", "W2", "b2", "W3", "b3")]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    rows = open(log).read().split("\n")[1:]
    return np.array([float(r.split(",")[4]) for r in rows if r])


def torch_losses(d, weights, optimizer, lr, mutant=None):
    torch.set_num_threads(1)
    x = torch.from_numpy(np.load(os.path.join(d, "train_x.npy")))
    y = torch.from_numpy(np.load(os.path.join(d, "train_y.npy")))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    params = [p[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")]
    if mutant == "lr":
        lr *= 1.01
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr)
    elif optimizer == "momentum":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.8 if mutant == "momentum" else 0.9)
    else:
        opt = torch.optim.Adam(params, lr=lr)
    losses = []
    step = 0
    for _ in range(EPOCHS):
        for s in range(0, N, BATCH):
            xb, yb = x[s:s + BATCH], y[s:s + BATCH]
            h = torch.relu(torch.relu(xb @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
            loss = torch.nn.functional.cross_entropy(h @ p["W3"] + p["b3"], yb)
            opt.zero_grad()
            loss.backward()
            step += 1
            if mutant == "bias-correction":  # Adam without bias correction: state step stays at 1... from step 2 on
                for st in opt.state.values():
                    st["step"] = torch.tensor(1e6)
            opt.step()
            losses.append(loss.item())
    return np.array(losses)


def worst(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        weights = make_data(d)
        for optimizer, lr in (("sgd", 0.05), ("momentum", 0.02), ("adam", 1e-3)):
            got = gradc_losses(d, optimizer, lr)
            want = torch_losses(d, weights, optimizer, lr)
            ok = len(got) == len(want) and worst(got, want) <= RTOL
            gap = worst(got, want) if len(got) == len(want) else float("nan")
            print(f"{optimizer}: {len(got)} steps, loss {want[0]:.4f} -> {want[-1]:.4f}, largest relative gap {gap:.2e}"
                  f" ({'ok' if ok else 'FAIL'})")
            failures += not ok
            if MUTANTS:
                for mutant in {"sgd": ["lr"], "momentum": ["momentum", "lr"], "adam": ["bias-correction", "lr"]}[optimizer]:
                    caught = worst(got, torch_losses(d, weights, optimizer, lr, mutant)) > RTOL
                    print(f"  mutant {mutant}: {'caught' if caught else 'NOT CAUGHT'}")
                    failures += not caught
    sys.exit(1 if failures else 0)


main()
