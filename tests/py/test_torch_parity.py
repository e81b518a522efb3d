#!/usr/bin/python3
"""tests/py/test_torch_parity.py — live PyTorch parity for the CPU LSTM/GRU, losses and AdamW.

ctest runs it as `/usr/bin/python3 test_torch_parity.py <skucast-binary>`. Exits 77 (skip)
when torch is not importable. Otherwise it
  1. regenerates the fixture with gen_torch_fixtures.py into a temporary folder and checks
     that the committed tests/data/torch_rnn.bin still matches it (same tensors, same
     values: float64 cases to 1e-9, the float32 training replay to 1e-5), and
  2. runs the C++ parity test (tests/test_rnn_torch_parity next to the skucast binary's
     build tree) against the fresh fixture through SKUCAST_TORCH_FIXTURE.
"""
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMITTED = HERE.parent / "data" / "torch_rnn.bin"


def read_fixture(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"SKUTORCH", f"{path}: bad magic"
    version, count = struct.unpack_from("<II", data, 8)
    off = 16
    out = {}
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, off)
        off += 4
        name = data[off:off + n].decode()
        off += n
        (ndim,) = struct.unpack_from("<I", data, off)
        off += 4
        dims = struct.unpack_from(f"<{ndim}q", data, off)
        off += 8 * ndim
        numel = 1
        for d in dims:
            numel *= d
        vals = struct.unpack_from(f"<{numel}d", data, off)
        off += 8 * numel
        out[name] = (tuple(dims), vals)
    return version, out


def compare(committed, fresh):
    errors = []
    if set(committed) != set(fresh):
        errors.append(f"tensor names differ: only committed {sorted(set(committed) - set(fresh))}, "
                      f"only fresh {sorted(set(fresh) - set(committed))}")
    for name in sorted(set(committed) & set(fresh)):
        (dc, vc), (df, vf) = committed[name], fresh[name]
        if dc != df:
            errors.append(f"{name}: shape {dc} committed vs {df} fresh")
            continue
        tol = 1e-5 if name.startswith("train/") else 1e-9
        for i, (a, b) in enumerate(zip(vc, vf)):
            if a != a and b != b:  # both NaN (masked targets)
                continue
            if not abs(a - b) <= tol * (1 + abs(b)):
                errors.append(f"{name}[{i}]: committed {a!r} fresh {b!r}")
                break
    return errors


def main():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not importable under /usr/bin/python3 (apt-get install python3-torch); skipping")
        return 77
    skucast = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "torch_rnn.bin"
        subprocess.run([sys.executable, str(HERE / "gen_torch_fixtures.py"), str(fresh_path)], check=True)
        _, fresh = read_fixture(fresh_path)
        _, committed = read_fixture(COMMITTED)
        errors = compare(committed, fresh)
        if errors:
            print("committed fixture differs from a fresh one (regenerate with "
                  "/usr/bin/python3 tests/py/gen_torch_fixtures.py):")
            print("\n".join(errors[:20]))
            return 1
        print(f"committed fixture matches a fresh one ({len(fresh)} tensors)")
        if skucast is None:
            return 0
        test_bin = skucast.resolve().parent / "tests" / "test_rnn_torch_parity"
        if not test_bin.exists():
            print(f"{test_bin} not built; only the fixture was checked")
            return 0
        env = dict(os.environ, SKUCAST_TORCH_FIXTURE=str(fresh_path))
        r = subprocess.run([str(test_bin)], env=env)
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
