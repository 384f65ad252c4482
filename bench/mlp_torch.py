#!/usr/bin/env python3
"""bench/mlp_torch.py — PyTorch eager baseline for bench/mlp_bench.cpp.

One training step's value and gradient of the 784-256-128-64-10 MLP (nn.Linear + ReLU,
F.cross_entropy, mean over the batch), f32: zero the grads (set_to_none=True, PyTorch 2's default, the
faster way), forward, loss.backward(). Batch 64
and 256, 1 and 2 threads. Prints JSON: per (batch, threads) the median wall time in ms over
many timed iterations after a warm-up, in repetitions as Google Benchmark times gradc: median_ms
is the median over repetitions of each one's mean (gradc's real_time median), iter_median_ms the
median over repetitions of each one's median call; p10/p90 over all calls.

Threads: torch.set_num_threads sets ATen's OpenMP pool. Debian's torch does its f32 GEMM in
OpenBLAS (pthreads build, through libblas.so.3), whose thread count torch does not set, so it is
set here as well (openblas_set_num_threads through ctypes); "blas_threads" in the JSON says
what OpenBLAS reported. With 2 threads that makes two spinning pools (libgomp and OpenBLAS's)
on a 2-core machine: measured on one, setting only one of them to 2 runs at about the 1-thread
speed, both at 2 several times slower. Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import ctypes
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn


def openblas():
    """The OpenBLAS that torch loaded, or None."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line and "/" in line}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            return lib
    return None


def model():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def timed(step, reps, rep_time, warmup):
    """Like Google Benchmark's --benchmark_repetitions: `reps` runs of about `rep_time` seconds,
    each timed call by itself; per run its mean and median, then the median of each over runs.
    Shared with bench/fusion_torch.py."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(20):
        step()
    iters = max(10, int(rep_time / ((time.perf_counter() - t0) / 20)))
    means, medians, every = [], [], []
    for _ in range(reps):
        times = []
        for _ in range(iters):
            t0 = time.perf_counter_ns()
            step()
            times.append((time.perf_counter_ns() - t0) / 1e6)
        means.append(statistics.fmean(times))
        medians.append(statistics.median(times))
        every += times
    every.sort()
    return {
        "median_ms": statistics.median(means),        # median over runs of each run's mean
        "iter_median_ms": statistics.median(medians),  # median over runs of each run's median
        "p10_ms": every[len(every) // 10],
        "p90_ms": every[len(every) * 9 // 10],
        "reps": reps,
        "iters_per_rep": iters,
    }


def bench(batch, threads, reps, rep_time, warmup):
    torch.manual_seed(42)
    net = model().float()
    x = torch.randn(batch, 784)
    y = torch.randint(0, 10, (batch,))

    def step():
        net.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        return loss

    return {"batch": batch, "threads": threads, **timed(step, reps, rep_time, warmup)}


def at_each_thread_count(threads_csv, run):
    """run(threads) at each count of "1,2": ATen's pool and OpenBLAS's both set to it, and
    what each then reported added to the result. Shared with bench/fusion_torch.py."""
    blas = openblas()
    results = []
    for threads in map(int, threads_csv.split(",")):
        torch.set_num_threads(threads)
        if blas is not None:
            blas.openblas_set_num_threads(threads)
        for r in run(threads):
            r.update(torch_threads=torch.get_num_threads(),
                     blas_threads=blas.openblas_get_num_threads() if blas is not None else None)
            results.append(r)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=10, help="runs per case (as --benchmark_repetitions)")
    ap.add_argument("--rep-time", type=float, default=0.1, help="seconds per run (about)")
    ap.add_argument("--warmup", type=int, default=50)
    a = ap.parse_args()
    results = at_each_thread_count(a.threads, lambda threads: [
        bench(batch, threads, a.reps, a.rep_time, a.warmup) for batch in map(int, a.batches.split(","))])
    print(json.dumps({"torch": torch.__version__, "results": results}, indent=1))


if __name__ == "__main__":
    main()
