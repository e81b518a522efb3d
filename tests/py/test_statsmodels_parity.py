#!/usr/bin/python3
"""Live statsmodels parity for the ETS family (ctest: py_test_statsmodels_parity).

Regenerates the fixed-parameter statsmodels fixtures with the statsmodels installed here
(tests/py/gen_statsmodels_fixtures.py) into a temporary file, checks they agree with the
committed tests/data/statsmodels_es.csv (so a statsmodels upgrade that changes results is
noticed), and runs the C++ parity test (tests/test_ets, EtsStatsmodelsParity.*) against the
fresh file. Exit 77 (skip) when statsmodels cannot be imported or test_ets is not built.

Usage: /usr/bin/python3 test_statsmodels_parity.py <path-to-skucast-binary>
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


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
    test_ets = os.path.join(os.path.dirname(binary), "tests", "test_ets")
    if not os.path.exists(test_ets):
        print("skip: test_ets not built next to", binary)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "statsmodels_es.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_statsmodels_fixtures.py"), fresh], check=True)
        committed = load(os.path.join(HERE, "..", "data", "statsmodels_es.csv"))
        now = load(fresh)
        bad = 0
        for case, cols in now.items():
            if case not in committed:
                print("new case not in committed fixture:", case)
                bad += 1
                continue
            for k, (a, b) in enumerate(zip(cols[13:], committed[case][13:])):
                va = [float(x) for x in a.split(";") if x]
                vb = [float(x) for x in b.split(";") if x]
                worst = max((abs(x - y) / max(1e-12, abs(x), abs(y)) for x, y in zip(va, vb)), default=0.0)
                if len(va) != len(vb) or worst > 1e-10:
                    print(f"{case} column {13 + k}: statsmodels now differs from the fixture (rel {worst:.3g}); "
                          "regenerate with tests/py/gen_statsmodels_fixtures.py")
                    bad += 1
        env = dict(os.environ, SKUCAST_STATSMODELS_FIXTURE=fresh)
        r = subprocess.run([test_ets, "--gtest_filter=EtsStatsmodelsParity.*"], env=env)
        if r.returncode != 0:
            bad += 1
    print("statsmodels parity:", "FAIL" if bad else "ok", f"({len(now)} cases)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
