#!/usr/bin/python3
"""Live statsmodels parity for the ETS family (ctest: py_test_statsmodels_parity).

Regenerates the fixed-parameter statsmodels fixtures with the statsmodels installed here
(tests/py/gen_statsmodels_fixtures.py) into a temporary file, checks they agree with the
committed tests/data/statsmodels_es.csv (so a statsmodels upgrade that changes results is
noticed), and runs the C++ parity test (tests/test_ets, EtsStatsmodelsParity.*) against the
fresh file. The committed fixture is only a sanity check of the live statsmodels
(Note [Reference tolerances across machines] in fixture_compare.py). Exit 77 (skip) when statsmodels cannot be imported or test_ets is not built.

Usage: /usr/bin/python3 test_statsmodels_parity.py <path-to-skucast-binary>
"""
import os
import subprocess
import sys
import tempfile

import fixture_compare

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


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
        # Fixed parameters throughout: every column is data or a deterministic formula
        # (Note [Reference tolerances across machines] in fixture_compare.py).
        cols = ["l0", "b0", "initial_seasonal", "y", "fitted", "forecast", "forecast_hw"]
        problems = fixture_compare.compare(
            os.path.join(HERE, "..", "data", "statsmodels_es.csv"), fresh,
            {c: ("rel", fixture_compare.DATA) for c in cols},
            "regenerate with tests/py/gen_statsmodels_fixtures.py")
        for p in problems:
            print(p)
        bad = len(problems)
        n_cases = len(fixture_compare.load(fresh))
        env = dict(os.environ, SKUCAST_STATSMODELS_FIXTURE=fresh)
        r = subprocess.run([test_ets, "--gtest_filter=EtsStatsmodelsParity.*"], env=env)
        if r.returncode != 0:
            bad += 1
    print("statsmodels parity:", "FAIL" if bad else "ok", f"({n_cases} cases)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
