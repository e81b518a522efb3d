"""tests/py/fixture_compare.py — the live-reference sanity check shared by the statsmodels
parity tests (test_statsmodels_parity.py, test_arimax_parity.py).

Each of those tests regenerates its fixture with the reference installed here and runs the
C++ parity test against that fresh file, so skucast is always compared with what the
reference computes on this machine, at the tolerance the C++ test sets. Comparing the fresh
fixture with the committed one is only a sanity check that the reference still computes the
same thing (a statsmodels upgrade that changes its method is noticed), never a failure in
the last digits:

Note [Reference tolerances across machines]
  A value that comes out of an optimizer (maximum-likelihood parameters, and the forecasts,
  standard errors and perturbed points computed from them) depends on the CPU, the BLAS
  kernel OpenBLAS picks for it (OPENBLAS_CORETYPE) and the summation order: statsmodels'
  MLE moved by 2e-6 relative between two machines of the same kind. Such columns get a
  loose bound, 1e-3 * max(1, |value|): a different optimum or a changed method moves them by
  far more. The objective's value at the optimum is flat in the parameters (first-order
  zero), so it is compared tighter, 1e-6 relative. Inputs (data) and values from fixed
  parameters (deterministic formulas: filters, fitted values, forecasts) are compared at
  1e-9 relative, which allows for summation order and libm differences and nothing else.
"""

DATA = 1e-9       # inputs and fixed-parameter formulas
OBJECTIVE = 1e-6  # an objective's value at its optimum (relative)
OPTIMIZER = 1e-3  # optimizer outputs and values computed from them (relative to max(1, |v|))


def load(path):
    """Rows of a fixture CSV keyed by case name ('#' comments and the header skipped)."""
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or line.startswith("case,"):
                continue
            cols = line.rstrip("\n").split(",")
            rows[cols[0]] = cols
    return rows


def header(path):
    """The fixture's column names."""
    with open(path) as f:
        for line in f:
            if line.startswith("case,"):
                return line.rstrip("\n").split(",")
    raise ValueError(f"{path}: no header line starting with 'case,'")


def compare(committed_path, fresh_path, tolerances, regenerate_hint):
    """Compares the numeric columns named in `tolerances` ({column: (kind, tol)}, kind
    'rel' for |a-b| <= tol * max(|a|, |b|) or 'scaled' for |a-b| <= tol * max(1, |a|, |b|))
    of every case. Returns the list of problems (empty when the fixtures agree)."""
    names = header(fresh_path)
    committed, fresh = load(committed_path), load(fresh_path)
    problems = []
    for case, cols in fresh.items():
        if case not in committed:
            problems.append(f"new case not in the committed fixture: {case}")
            continue
        for col, (kind, tol) in tolerances.items():
            k = names.index(col)
            va = [float(x) for x in cols[k].split(";") if x]
            vb = [float(x) for x in committed[case][k].split(";") if x]
            if len(va) != len(vb):
                problems.append(f"{case} {col}: {len(va)} values now, {len(vb)} in the committed fixture")
                continue
            worst, worst_i = 0.0, -1
            for i, (a, b) in enumerate(zip(va, vb)):
                floor = 1.0 if kind == "scaled" else 1e-300
                used = abs(a - b) / (tol * max(floor, abs(a), abs(b)))
                if used > worst:
                    worst, worst_i = used, i
            if worst > 1.0:
                problems.append(f"{case} {col}[{worst_i}]: statsmodels now gives {va[worst_i]!r}, the fixture "
                                f"{vb[worst_i]!r} ({worst:.3g} x the {kind} bound {tol:g}); {regenerate_hint}")
    return problems
