#!/usr/bin/python3
"""Live statsmodels parity for ARIMAX (ctest: py_test_arimax_parity).

Regenerates the statsmodels SARIMAX(exog =) fixtures with the statsmodels installed here
(tests/py/gen_arimax_fixtures.py) into a temporary file, checks they agree with the committed
tests/data/statsmodels_arimax.csv (so a statsmodels upgrade that changes results is noticed),
and runs the C++ parity tests (tests/test_arimax, Arimax.*) against the fresh file. Exit 77
(skip) when statsmodels cannot be imported or test_arimax is not built.

Usage: /usr/bin/python3 test_arimax_parity.py <path-to-skucast-binary>
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
FIRST_VALUE_COL = 10  # params onwards: numbers to compare


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or line.startswith("case,"):
                continue
            cols = line.rstrip("\n").split(",")
            rows[cols[0]] = cols
    return rows


def main():
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        print("skip: statsmodels not importable under", sys.executable)
        return SKIP
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SKUCAST_BIN", "")
    test_bin = os.path.join(os.path.dirname(binary), "tests", "test_arimax")
    if not os.path.exists(test_bin):
        print("skip: test_arimax not built next to", binary)
        return SKIP
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "statsmodels_arimax.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_arimax_fixtures.py"), fresh], check=True)
        committed = load(os.path.join(HERE, "..", "data", "statsmodels_arimax.csv"))
        now = load(fresh)
        for case, cols in now.items():
            if case not in committed:
                print("new case not in committed fixture:", case)
                bad += 1
                continue
            for k, (a, b) in enumerate(zip(cols[FIRST_VALUE_COL:], committed[case][FIRST_VALUE_COL:])):
                va = [float(x) for x in a.split(";") if x]
                vb = [float(x) for x in b.split(";") if x]
                worst = max((abs(x - y) / max(1e-12, abs(x), abs(y)) for x, y in zip(va, vb)), default=0.0)
                if len(va) != len(vb) or worst > 1e-6:
                    print(f"{case} column {FIRST_VALUE_COL + k}: statsmodels now differs from the fixture "
                          f"(rel {worst:.3g}); regenerate with tests/py/gen_arimax_fixtures.py")
                    bad += 1
        env = dict(os.environ, SKUCAST_STATSMODELS_ARIMAX_FIXTURE=fresh)
        r = subprocess.run([test_bin, "--gtest_filter=Arimax.*"], env=env)
        if r.returncode != 0:
            bad += 1
    print("statsmodels ARIMAX parity:", "FAIL" if bad else "ok", f"({len(now)} cases)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
