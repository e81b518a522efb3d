#!/usr/bin/env python3
"""tests/py/gen_hierarchy_fixtures.py — writes tests/data/hierarchicalforecast_reconcile.csv:
reconciled forecasts from Nixtla's hierarchicalforecast for every `skucast reconcile` method on
a small catalog (2 stores x 3 brands), read by tests/eval/test_reconcile.cpp.

Run it by hand, never in CI (CI reads the committed CSV):
    python3 -m venv /tmp/hf-venv && /tmp/hf-venv/bin/pip install hierarchicalforecast
    /tmp/hf-venv/bin/python tests/py/gen_hierarchy_fixtures.py

Series order is skucast's (engine/eval/hierarchy.h, Note [Aggregate series]): the levels in
order, groups by ascending codes (store slowest), then the 6 bottom series (store s, brand b is
bottom row 3 s + b). Two structures: grouped = total;store;brand;store*brand (MinTrace, bu) and
nested = total;store (td, mo:store, and the rest too). Residuals are passed as y_insample with
y_hat_insample = 0 (hierarchicalforecast takes their difference). Vectors are ';'-joined,
row-major [N, H] / [N, R], printed with repr (17 significant digits).
"""
import sys
from pathlib import Path

import clarabel
import numpy as np
import qpsolvers
import hierarchicalforecast
from hierarchicalforecast.methods import BottomUp, MiddleOut, MinTrace, TopDown
from qpsolvers import solve_qp

OUT = Path(__file__).resolve().parents[1] / "data" / "hierarchicalforecast_reconcile.csv"
H, R = 4, 30


def structure(levels):
    """levels: list of (name, attrs) over the attributes store (0..1) and brand (0..2)."""
    bottoms = [(s, b) for s in range(2) for b in range(3)]
    rows, tags, names = [], {}, []
    for name, attrs in levels:
        keys = sorted({tuple(k[{"store": 0, "brand": 1}[a]] for a in attrs) for k in bottoms})
        idx = []
        for key in keys:
            members = [j for j, k in enumerate(bottoms)
                       if tuple(k[{"store": 0, "brand": 1}[a]] for a in attrs) == key]
            idx.append(len(rows))
            rows.append(members)
        tags[name] = np.array(idx)
        names.append(name)
    A, B = len(rows), len(bottoms)
    S = np.zeros((A + B, B))
    for a, members in enumerate(rows):
        S[a, members] = 1.0
    S[A:] = np.eye(B)
    tags["bottom"] = np.arange(A, A + B)
    indptr = np.cumsum([0] + [len(m) for m in rows])
    indices = [j for m in rows for j in m]
    return S, tags, names + ["bottom"], indptr, indices


def tight_nonnegative(S, W, base):
    """MinTrace(nonnegative=True)'s programme exactly as hierarchicalforecast sets it up
    (negative base forecasts to 0; min_b 1/2 b'Pb + q'b, P = S'W^-1 S, q = -S'W^-1 y+, b >= 0),
    solved by Clarabel with tolerances 1e-14 instead of its defaults (~1e-8 on the duality gap,
    which leaves ~1e-4 relative error in b), and without the float32 rounding MinTrace applies."""
    Winv = np.linalg.pinv(W)
    yp = np.maximum(base, 0.0)
    a = S.T @ Winv
    P, q = a @ S, -(a @ yp)
    B = S.shape[1]
    out = np.zeros((B, base.shape[1]))
    for k in range(base.shape[1]):
        out[:, k] = solve_qp(P=P, q=q[:, k], G=-np.eye(B), h=np.zeros(B), solver="clarabel",
                             tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14, tol_ktratio=1e-12,
                             max_iter=500)
    return S @ np.clip(out, 0.0, None)


def fmt(a):
    return ";".join(repr(float(x)) for x in np.asarray(a, dtype=np.float64).ravel())


def main():
    rng = np.random.default_rng(17)
    grouped = structure([("total", []), ("store", ["store"]), ("brand", ["brand"]),
                         ("store*brand", ["store", "brand"])])
    nested = structure([("total", []), ("store", ["store"])])
    rows = []
    for hname, (S, tags, names, indptr, indices) in (("grouped", grouped), ("nested", nested)):
        N, B = S.shape
        # Incoherent base forecasts near the sums; a few small bottom ones go negative.
        bottom = rng.uniform(-2.0, 12.0, size=(B, H))
        base = S @ bottom + rng.normal(0.0, 3.0, size=(N, H))
        resid = rng.normal(0.0, 1.0, size=(N, R)) * rng.uniform(0.5, 3.0, size=(N, 1))
        resid += 0.5 * (S @ rng.normal(0.0, 1.0, size=(B, R)))  # correlated across the hierarchy
        zeros = np.zeros_like(resid)
        cases = [("bu", False, lambda: BottomUp().fit_predict(S=S, y_hat=base)["mean"])]
        for m in ("ols", "wls_struct", "wls_var", "mint_shrink"):
            for nn in (False, True):
                cases.append((m, nn, lambda m=m, nn=nn: MinTrace(method=m, nonnegative=nn).fit_predict(
                    S=S, y_hat=base, y_insample=resid, y_hat_insample=zeros)["mean"]))
        if hname == "nested":
            cases.append(("td", False, lambda: TopDown(method="forecast_proportions").fit_predict(
                S=S, y_hat=base, tags=tags)["mean"]))
            cases.append(("mo:store", False, lambda: MiddleOut(
                middle_level="store", top_down_method="forecast_proportions").fit_predict(
                S=S, y_hat=base, tags=tags)["mean"]))
        for method, nn, run in cases:
            rec = np.asarray(run(), dtype=np.float64)
            tight = rec
            if nn:  # the same programme solved to tight tolerances (see tight_nonnegative)
                W = MinTrace(method=method)._get_PW_matrices(S=S, y_hat=base, y_insample=resid,
                                                              y_hat_insample=zeros)[1]
                tight = tight_nonnegative(S, W, base)
            rows.append([hname, method, str(int(nn)), str(B), ";".join(map(str, indptr)), ";".join(map(str, indices)),
                         "|".join(names), fmt(base), fmt(resid), fmt(rec), fmt(tight)])
    with open(OUT, "w") as f:
        f.write(f"# hierarchicalforecast {hierarchicalforecast.__version__} numpy {np.__version__} "
                f"qpsolvers {qpsolvers.__version__} clarabel {clarabel.__version__}; "
                f"generated by tests/py/gen_hierarchy_fixtures.py\n")
        f.write(f"# H={H} R={R}; base, residuals, expected row-major [N, H] / [N, R] / [N, H]; expected_tight: --nonnegative programme solved to 1e-14 (else = expected)\n")
        f.write("case,method,nonnegative,n_bottom,indptr,indices,levels,base,residuals,expected,expected_tight\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print(f"wrote {len(rows)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
