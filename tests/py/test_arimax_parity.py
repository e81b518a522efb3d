#!/usr/bin/python3
"""Live statsmodels parity for ARIMAX (ctest: py_test_arimax_parity).

Regenerates the statsmodels SARIMAX(exog =) fixtures with the statsmodels installed here
(tests/py/gen_arimax_fixtures.py) into a temporary file, checks they agree with the committed
tests/data/statsmodels_arimax.csv as a loose sanity bound (so a statsmodels upgrade that
changes its method is noticed, not the last digits of its optimizer: Note [Reference
tolerances across machines] in fixture_compare.py),
and runs the C++ parity tests (tests/test_arimax, Arimax.*) against the fresh file. Exit 77
(skip) when statsmodels cannot be imported or test_arimax is not built.

Usage: /usr/bin/python3 test_arimax_parity.py <path-to-skucast-binary>
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
    test_bin = os.path.join(os.path.dirname(binary), "tests", "test_arimax")
    if not os.path.exists(test_bin):
        print("skip: test_arimax not built next to", binary)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "statsmodels_arimax.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_arimax_fixtures.py"), fresh], check=True)
        # statsmodels' MLE and what is computed from it move in the last digits from one
        # machine to another (Note [Reference tolerances across machines] in fixture_compare.py):
        # the data exactly, the log-likelihood at the optimum tightly, the rest loosely.
        tol = {"y": ("rel", fixture_compare.DATA), "x": ("rel", fixture_compare.DATA),
               "llf": ("rel", fixture_compare.OBJECTIVE)}
        for c in ("params", "params_alt", "llf_alt", "forecast", "forecast_se"):
            tol[c] = ("scaled", fixture_compare.OPTIMIZER)
        problems = fixture_compare.compare(os.path.join(HERE, "..", "data", "statsmodels_arimax.csv"), fresh, tol,
                                           "regenerate with tests/py/gen_arimax_fixtures.py")
        for p in problems:
            print(p)
        bad = len(problems)
        n_cases = len(fixture_compare.load(fresh))
        env = dict(os.environ, SKUCAST_STATSMODELS_ARIMAX_FIXTURE=fresh)
        r = subprocess.run([test_bin, "--gtest_filter=Arimax.*"], env=env)
        if r.returncode != 0:
            bad += 1
    print("statsmodels ARIMAX parity:", "FAIL" if bad else "ok", f"({n_cases} cases)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
