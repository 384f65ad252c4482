#!/usr/bin/python3
"""Every scalar op's value and gradient from `gradc grad --json`, against PyTorch autograd.

Run by ctest when Debian's python3-torch is installed (exit 77 = skipped otherwise).
Points avoid kinks and ties: at ties gradc's documented convention (max(a, b) with a == b
sends the gradient to a) differs from PyTorch's (half to each); tests/unit covers kinks.
Usage: scalar_ops_vs_torch.py PATH/TO/gradc
"""
import json
import math
import random
import subprocess
import sys

try:
    import torch
except ImportError:
    print("PyTorch is not installed (apt-get install python3-torch): skipped")
    sys.exit(77)

GRADC = sys.argv[1]
T = torch

# (gradc program, inputs, torch function of the input tensors, domain of the inputs)
CASES = [
    ("f = ln x", "x", lambda x: T.log(x), "pos"),
    ("f = log(x)", "x", lambda x: T.log(x), "pos"),
    ("f = log10(x)", "x", lambda x: T.log10(x), "pos"),
    ("f = log2 x", "x", lambda x: T.log2(x), "pos"),
    ("f = e^x + pi*x", "x", lambda x: T.exp(x) + math.pi * x, "any"),
    ("f = exp x", "x", lambda x: T.exp(x), "any"),
    ("f = sqrt x", "x", lambda x: T.sqrt(x), "pos"),
    ("f = sin x", "x", lambda x: T.sin(x), "any"),
    ("f = cos x", "x", lambda x: T.cos(x), "any"),
    ("f = tan x", "x", lambda x: T.tan(x), "small"),
    ("f = tanh x", "x", lambda x: T.tanh(x), "any"),
    ("f = sigmoid x", "x", lambda x: T.sigmoid(x), "any"),
    ("f = relu x", "x", lambda x: T.relu(x), "any"),
    ("f = abs x", "x", lambda x: T.abs(x), "any"),
    ("f = softplus x", "x", lambda x: T.nn.functional.softplus(x), "any"),
    ("f = step(x) * x", "x", lambda x: (x > 0).double() * x, "any"),
    ("f = max(a, b)", "a b", lambda a, b: T.maximum(a, b), "any"),
    ("f = min(a, b)", "a b", lambda a, b: T.minimum(a, b), "any"),
    ("f = a ^ b", "a b", lambda a, b: T.pow(a, b), "pos"),
    ("f = a / b", "a b", lambda a, b: a / b, "any"),
    ("f = a - b", "a b", lambda a, b: a - b, "any"),
    ("f = a * b", "a b", lambda a, b: a * b, "any"),
    ("f = -a^3", "a", lambda a: -a ** 3, "any"),
    ("f = ln x + exp(y)*z", "x y z", lambda x, y, z: T.log(x) + T.exp(y) * z, "pos"),
    ("a = x*y + z; b = (x+x)*a; w = a*b", "x y z",
     lambda x, y, z: (x * y + z) * ((x + x) * (x * y + z)), "any"),
    ("f = sigmoid(w*x + b) - tanh(relu(x - w)) + softplus(b)^2", "w x b",
     lambda w, x, b: T.sigmoid(w * x + b) - T.tanh(T.relu(x - w)) + T.nn.functional.softplus(b) ** 2,
     "mid"),
]


def point(domain, rng):
    if domain == "pos":
        return rng.uniform(0.1, 4.0)
    if domain == "mid":  # where tanh and sigmoid are not saturated: 1 - y² stays well conditioned
        return rng.choice([-1, 1]) * rng.uniform(0.05, 1.5)
    if domain == "small":
        return rng.uniform(-1.4, 1.4)
    return rng.choice([-1, 1]) * rng.uniform(0.05, 5.0)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def main():
    rng = random.Random(20261123)
    passed = failed = 0
    for program, names, fn, domain in CASES:
        names = names.split()
        for _ in range(4):
            at = [point(domain, rng) for _ in names]
            args = ",".join(f"{n}={v!r}" for n, v in zip(names, at))
            out = subprocess.run([GRADC, "grad", "-e", program, "--at", args, "--json"],
                                 capture_output=True, text=True, check=True)
            got = json.loads(out.stdout)
            xs = [T.tensor(v, dtype=T.float64, requires_grad=True) for v in at]
            y = fn(*xs)
            y.backward()
            want = {"value": y.item(), **{n: x.grad.item() for n, x in zip(names, xs)}}
            have = {"value": got["value"], **got["grad"]}
            bad = [k for k in want if not close(have[k], want[k])]
            if bad:
                failed += 1
                print(f"FAIL {program} at {args}: gradc {have} torch {want}")
            else:
                passed += 1
    print(f"torch: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
