"""Writes train.csv (200 points) and test.csv (50): x uniform in [-1, 1], the target (the
`label` column) sin(3x) plus N(0, 0.05²) noise. Checked in as written by `python3 make_data.py`."""
import math
import random

random.seed(5)
for name, n in (("train", 200), ("test", 50)):
    with open(f"{name}.csv", "w") as f:
        f.write("label,x\n")
        for i in range(n):
            x = random.uniform(-1, 1)
            f.write(f"{math.sin(3 * x) + random.gauss(0, 0.05):.4f},{x:.4f}\n")
