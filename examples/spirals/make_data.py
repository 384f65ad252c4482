"""Writes train.csv (600 points) and test.csv (180): three interleaved spirals in the plane,
label = arm. Checked in as written by `python3 make_data.py` (seed 3)."""
import math
import random

random.seed(3)


def spiral(n_per_class):
    rows = []
    for k in range(3):
        for i in range(n_per_class):
            r = (i + 0.5) / n_per_class
            t = k * 2 * math.pi / 3 + 3.0 * r + random.gauss(0, 0.15)
            rows.append((k, r * math.sin(t), r * math.cos(t)))
    random.shuffle(rows)
    return rows


for name, n in (("train", 200), ("test", 60)):
    with open(f"{name}.csv", "w") as f:
        f.write("label,x1,x2\n")
        for k, a, b in spiral(n):
            f.write(f"{k},{a:.4f},{b:.4f}\n")
