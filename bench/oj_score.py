#!/usr/bin/python3
"""bench/oj_score.py — scores forecasts of the orange-juice split (bench/oj_data.R).

Usage: oj_score.py OUTDIR NAME=forecast.csv [NAME=forecast.csv ...]
Forecast CSVs are skucast's (`series_id,time,step,mean,q0.1,...`) or any CSV with
series_id, step and mean (and optional q<level> columns). Per series, over its observed
held-out weeks: MASE of the mean and of the median (q0.5, when present), both scaled by the
series' in-sample lag-1 naive MAE (consecutive observed weeks of the history); sMAPE of the
mean (percent); scaled pinball loss (mean over steps and the file's quantile levels of the
pinball loss, divided by the same naive MAE). Each figure is the mean over the series that
have a scale and at least one held-out value. Prints one row per forecast.
"""
import sys

import numpy as np
import pandas as pd


def naive_scale(panel):
    hist = panel[panel["value"].notna()].sort_values(["series_id", "time"])
    scale = {}
    for sid, g in hist.groupby("series_id"):
        t, y = g["time"].to_numpy(), g["value"].to_numpy(float)
        ok = np.diff(t) == 1  # lag-1 pairs of consecutive observed weeks
        d = np.abs(np.diff(y))[ok]
        if len(d) and d.mean() > 0:
            scale[sid] = d.mean()
    return scale


def score(actual, scale, fc):
    m = actual.merge(fc, on=["series_id", "step"], how="left")
    if m["mean"].isna().any():
        missing = m[m["mean"].isna()]["series_id"].unique()[:5]
        raise SystemExit(f"forecast lacks held-out rows, e.g. series {list(missing)}")
    qcols = [c for c in fc.columns if c.startswith("q")]
    rows = []
    for sid, g in m.groupby("series_id"):
        if sid not in scale:
            continue
        s, y, mu = scale[sid], g["actual"].to_numpy(float), g["mean"].to_numpy(float)
        r = {"mase": np.mean(np.abs(y - mu)) / s,
             "smape": 200.0 * np.mean(np.abs(y - mu) / np.maximum(np.abs(y) + np.abs(mu), 1e-12))}
        if "q0.5" in g:
            r["mase_q50"] = np.mean(np.abs(y - g["q0.5"].to_numpy(float))) / s
        if qcols:
            pl = []
            for c in qcols:
                tau, q = float(c[1:]), g[c].to_numpy(float)
                pl.append(np.mean(np.maximum(tau * (y - q), (tau - 1.0) * (y - q))))
            r["pinball"] = np.mean(pl) / s
        rows.append(r)
    return pd.DataFrame(rows).mean(), len(rows)


def main():
    out = sys.argv[1]
    panel = pd.read_csv(f"{out}/panel.csv")
    actual = pd.read_csv(f"{out}/actual.csv")[["series_id", "step", "actual"]]
    scale = naive_scale(panel)
    print(f"{'model':<28}{'MASE':>8}{'MASE(q50)':>11}{'sMAPE':>9} {'pinball':>11}{'series':>8}")
    for arg in sys.argv[2:]:
        name, path = arg.split("=", 1)
        fc = pd.read_csv(path)
        fc = fc[[c for c in fc.columns if c in ("series_id", "step", "mean") or c.startswith("q")]]
        r, n = score(actual, scale, fc)
        f = lambda k: (f"{r[k]:.4f}" if abs(r[k]) < 1e6 else f"{r[k]:.3g}") if k in r else "-"
        print(f"{name:<28}{f('mase'):>8}{f('mase_q50'):>11}{f('smape'):>9} {f('pinball'):>11}{n:>8}")


if __name__ == "__main__":
    main()
