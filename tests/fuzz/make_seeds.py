#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py — writes each fuzz target's seed corpus from the repository.

Usage: make_seeds.py REPO_ROOT OUT_DIR   (OUT_DIR/<target>/ per target; .ci/fuzz runs it)

Seeds are generated, not checked in: programs are every .grad file under examples/ and tests/
(the golden error programs included) and every `-e` program of the CLI tests; the binary
formats are small files written here with the standard library only (no numpy in CI). Each
input that once crashed a target (tests/fuzz/regressions/<target>/) is a seed too, so every
fuzz run replays it first.
"""
import gzip
import io
import pathlib
import re
import struct
import sys
import zipfile

SEPARATOR = b"\n==> next file <==\n"  # fuzz_dataset.cpp's kSeparator


def programs(root):
    for path in sorted(root.glob("examples/**/*.grad")) + sorted(root.glob("tests/**/*.grad")):
        yield path.read_bytes()
    cli_tests = (root / "tests/cli/run_cli_tests.sh").read_text(encoding="utf-8")
    for match in re.finditer(r"-e '([^']*)'", cli_tests):
        yield match.group(1).encode()


def npy(descr, shape, payload, version=1):
    dims = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, dims)
    size_len = 2 if version == 1 else 4
    pad = -(10 + len(header) + 1 + (size_len - 2)) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    size = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + payload


def npy_files():
    yield npy("<f8", (2, 3), struct.pack("<6d", 1, 2, 3, 4.5, -1e300, float("nan")))
    yield npy("<f4", (3,), struct.pack("<3f", 0.5, 1.5, -2))
    yield npy("<i8", (4,), struct.pack("<4q", 0, 1, 2, 9))
    yield npy("<i4", (), struct.pack("<i", 7))
    yield npy("|u1", (2, 2), bytes([1, 2, 3, 255]))
    yield npy("<u8", (1,), struct.pack("<Q", 2**63))
    yield npy("<f8", (0, 5), b"")
    yield npy("<f4", (2, 1, 2), struct.pack("<4f", 1, 2, 3, 4), version=2)
    yield npy("<f8", (1,), struct.pack("<d", 1), version=3)


def npz(members, compression):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return buffer.getvalue()


def npz_files():
    arrays = list(npy_files())
    yield npz([("W.npy", arrays[0]), ("b.npy", arrays[1])], zipfile.ZIP_STORED)
    yield npz([("step.npy", arrays[3]), ("mask.npy", arrays[4])], zipfile.ZIP_DEFLATED)


def idx(dims, data):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def dataset(mode, files):
    return bytes([mode]) + SEPARATOR.join(files)


def dataset_blobs(root):
    images = idx((3, 2, 2), range(12))
    labels = idx((3,), [0, 1, 2])
    yield dataset(0, [images, labels, images, labels])
    yield dataset(0, [gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0), images, labels])
    x = npy("<f4", (3, 2), struct.pack("<6f", *range(6)))
    y = npy("<i8", (3,), struct.pack("<3q", 0, 1, 0))
    t = npy("<f8", (3,), struct.pack("<3d", 0.5, 1, -1))
    yield dataset(1, [x, y, x, y])
    yield dataset(3, [x, t, x, t])
    for name in ("xor", "regression", "spirals"):
        train = (root / f"examples/{name}/train.csv").read_bytes()[:2000]
        test = (root / f"examples/{name}/test.csv").read_bytes()[:2000]
        yield dataset(4 if name == "regression" else 2, [train, test])
    yield dataset(2, [gzip.compress(b"label,a,b\n1,0.5,2\n0,1,1\n", mtime=0), b"0,1,2\n1,3,4\n"])


LITERALS = ["2.5", "-1e-3", "nan", "-inf", "[1, 2, 3]", "[1 2 3]", "[1,2;3,4]", "[[1,2],[3,4]]",
            "[[[1],[2]],[[3],[4]]]", "[]", '["nan", "inf"]', "[[]]",
            "x=[1,2,3;4,5,6],y=[0,3],s=2", "x=[[1,2,3]],y=[1],s=-0.5,W=[1,2,3,4;5,6,7,8;0,0,0,0]",
            "s=inf,x=[0,0,0],y=[4]", "y=[1.5]"]


def main():
    root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    corpora = {
        "fuzz_program": list(programs(root)),
        "fuzz_tensor_text": [s.encode() for s in LITERALS],
        "fuzz_npy": list(npy_files()) + list(npz_files()),
        "fuzz_dataset": list(dataset_blobs(root)),
    }
    corpora["fuzz_program_jit"] = corpora["fuzz_program"]
    for target in corpora:
        corpora[target] = corpora[target] + [p.read_bytes() for p in sorted((root / "tests/fuzz/regressions" / target).glob("*"))]
    for target, seeds in corpora.items():
        (out / target).mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(seeds):
            (out / target / f"seed-{i:04d}").write_bytes(seed)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
