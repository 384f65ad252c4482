"""Reads the float arrays of a gradc checkpoint (.npz) without NumPy: the tests' CI has none.

npz_arrays.py CKPT.npz EXPR: prints eval(EXPR) with `a` the dict {name: (shape, [floats])},
`col(name, j)` column j of a 2-D array and `row(name, i)` its row i; exits 1 if EXPR is false.
"""
import ast
import struct
import sys
import zipfile


def read_npy(data):
    assert data[:6] == b"\x93NUMPY", "not an .npy member"
    major = data[6]
    (hlen,) = struct.unpack("<H" if major == 1 else "<I", data[8:10] if major == 1 else data[8:12])
    start = 10 if major == 1 else 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    body = data[start + hlen:]
    fmt = {"<f4": "f", "<f8": "d", "<i8": "q", "<u8": "Q", "|u1": "B", "|b1": "?"}.get(header["descr"])
    if fmt is None:  # other state (strings): not needed by the tests
        return header["shape"], None
    assert not header["fortran_order"]
    count = 1
    for d in header["shape"]:
        count *= d
    return header["shape"], list(struct.unpack("<%d%s" % (count, fmt), body[:count * struct.calcsize(fmt)]))


def main():
    with zipfile.ZipFile(sys.argv[1]) as z:
        a = {n[:-4]: read_npy(z.read(n)) for n in z.namelist() if n.endswith(".npy")}

    def col(name, j):
        (r, c), v = a[name]
        return [v[i * c + j] for i in range(r)]

    def row(name, i):
        (r, c), v = a[name]
        return v[i * c:(i + 1) * c]

    result = eval(sys.argv[2], {"a": a, "col": col, "row": row})
    print(result)
    sys.exit(0 if result else 1)


main()
