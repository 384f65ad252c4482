#!/usr/bin/env python3
"""bench/fusion_torch.py — PyTorch eager baseline for bench/fusion_bench.cpp's fusion/sgm.

The same computation as gradc's `loss = mse(gelu(softmax(x)), t)` (row softmax, exact erf
GELU, mean squared error), value and gradient with respect to x, f32[4096,1024], x ~ N(0,1)·3
and t ~ U(0,1) as the C++ bench draws them: each step clears x.grad, computes the loss
and calls backward(). Timed with mlp_torch.py's `timed` (repetitions, medians), at each
thread count asked for (mlp_torch.py's at_each_thread_count).
Prints JSON: per thread count the median ms, as mlp_torch.py does. Run with /usr/bin/python3
(Debian's python3-torch).
"""
import argparse
import json

import torch
import torch.nn.functional as F

from mlp_torch import at_each_thread_count, timed

ROWS, COLS = 4096, 1024


def bench(threads, reps, rep_time, warmup):
    torch.manual_seed(42)
    x = (torch.randn(ROWS, COLS) * 3).requires_grad_()
    t = torch.rand(ROWS, COLS)

    def step():
        x.grad = None
        loss = F.mse_loss(F.gelu(torch.softmax(x, dim=-1)), t)
        loss.backward()
        return loss

    return {"threads": threads, **timed(step, reps, rep_time, warmup)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=5, help="runs per case (as --benchmark_repetitions)")
    ap.add_argument("--rep-time", type=float, default=0.5, help="seconds per run (about)")
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    results = at_each_thread_count(a.threads, lambda threads: [bench(threads, a.reps, a.rep_time, a.warmup)])
    print(json.dumps({"torch": torch.__version__, "results": results}, indent=1))


if __name__ == "__main__":
    main()
