#!/usr/bin/env python3
"""bench/train_torch.py — PyTorch eager baseline for bench/train_bench.cpp: seconds per epoch.

The same MLP as examples/mlp.grad (nn.Linear + ReLU, 784-256-128-64-10, F.cross_entropy,
mean over the batch), torch.optim.SGD, f32, fashion-mnist's training set preloaded as one
float32 tensor (pixels / 255, as gradc's loader), a fresh shuffle each epoch. Two ways of
making the batches, each timed over its epoch's training steps only:
  own_shuffle   torch's own: DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True),
                the idiomatic loop (a sampler, per-example indexing, collate);
  index_gather  no DataLoader: perm = torch.randperm(n), each batch x[perm[s:s+B]], the same
                gather gradc and the hand-written step do.
Prints JSON: per (batch, threads, mode) each epoch's seconds and train loss, and the process's
peak RSS (ru_maxrss) after it. Threads as bench/mlp_torch.py sets them (ATen and OpenBLAS).
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlp_torch import at_each_thread_count, model  # noqa: E402  (the same network, the same threads)

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load():
    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / np.float32(255)
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def own_shuffle_batches(x, y, batch):
    return iter(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True))


def index_gather_batches(x, y, batch):
    perm = torch.randperm(x.shape[0])
    for s in range(0, x.shape[0], batch):
        i = perm[s:s + batch]
        yield x[i], y[i]


def epochs(x, y, batch, threads, mode, count, lr):
    torch.manual_seed(0)
    net = model().float()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    batches = own_shuffle_batches if mode == "own_shuffle" else index_gather_batches
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        loss_sum = 0.0
        for xb, yb in batches(x, y, batch):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * xb.shape[0]
        seconds = time.perf_counter() - t0
        out.append({"seconds": seconds, "train_loss": loss_sum / x.shape[0],
                    "hwm_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
    return {"impl": "torch_" + mode, "batch": batch, "threads": threads, "lr": lr, "epochs": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--modes", default="own_shuffle,index_gather")
    a = ap.parse_args()
    x, y = load()
    results = at_each_thread_count(a.threads, lambda threads: [
        epochs(x, y, b, threads, mode, a.epochs, a.lr)
        for b in map(int, a.batches.split(",")) for mode in a.modes.split(",")])
    print(json.dumps({"torch": torch.__version__, "results": results}, indent=1))


if __name__ == "__main__":
    main()
