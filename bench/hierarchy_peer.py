#!/usr/bin/env python3
"""bench/hierarchy_peer.py AGG.h5 BASE.h5 METHODS — hierarchicalforecast's reconciliation of the
same base forecasts over the same structure (skucast's /hierarchy), timed; prints one line per
method: `peer METHOD SECONDS MAX_DIFF` (max |difference| to skucast's output, AGG's
folder/rec_METHOD.h5, over max |output|; skucast stores float32, so about 1e-7 is agreement).

Run with a Python that has hierarchicalforecast and h5py (bench/hierarchy.sh passes HF_PYTHON).
"""
import os
import sys
import time
import warnings

import h5py
import numpy as np
from hierarchicalforecast.methods import BottomUp, MinTrace


def main():
    agg, base_path, methods = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    with h5py.File(agg, "r") as f:
        g = f["hierarchy"]
        A, B = int(g.attrs["n_aggregates"]), int(g.attrs["n_bottom"])
        indptr, indices = g["s_indptr"][:], g["s_indices"][:]
    with h5py.File(base_path, "r") as f:
        yhat = f["forecast/mean"][:].astype(np.float64)
        resid = f["forecast/residuals"][:].astype(np.float64) if "residuals" in f["forecast"] else None
    S = np.zeros((A + B, B))
    for a in range(A):
        S[a, indices[indptr[a]:indptr[a + 1]]] = 1.0
    S[A:] = np.eye(B)
    shrink_resid = None
    if resid is not None:
        # mint_shrink: skucast centres each series over its observed residuals and counts NaN
        # cells as 0 (Note [Reconciliation in constraint form]); hierarchicalforecast's no-NaN
        # estimator centres itself, so it gets those centred values plus 1 (which its centring
        # removes; all-zero rows would trip its "residuals close to 0" check). wls_var: the raw
        # residuals with NaN, whose rule (nansum / T) is skucast's.
        with warnings.catch_warnings():  # series never observed: an empty mean, 0
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nan_to_num(np.nanmean(resid, axis=1, keepdims=True))
        shrink_resid = np.nan_to_num(resid - mean) + 1.0
    zeros = None if resid is None else np.zeros_like(resid)
    for m in methods:
        t0 = time.perf_counter()
        if m == "bu":
            rec = BottomUp().fit_predict(S=S, y_hat=yhat)["mean"]
        else:
            r = shrink_resid if m == "mint_shrink" else resid
            rec = MinTrace(method=m).fit_predict(S=S, y_hat=yhat, y_insample=r, y_hat_insample=zeros)["mean"]
        dt = time.perf_counter() - t0
        mine = os.path.join(os.path.dirname(agg), f"rec_{m}.h5")
        diff = float("nan")
        if os.path.exists(mine):
            with h5py.File(mine, "r") as f:
                diff = float(np.max(np.abs(f["forecast/mean"][:] - rec)) / max(1e-30, np.max(np.abs(rec))))
        print(f"peer {m} {dt:.4f} {diff:.3g}", flush=True)


if __name__ == "__main__":
    main()
