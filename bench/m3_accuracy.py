#!/usr/bin/python3
"""Accuracy table for bench/ets.sh: sMAPE and MASE of forecast files against an M3 split.

Usage: m3_accuracy.py series.csv fc1.csv [fc2.csv ...]
series.csv rows: id,period,m,h,train,test (';'-joined). fc*.csv rows: id,model,secs,fc.
sMAPE = mean(200 |y - f| / (|y| + |f|)); MASE scale = in-sample mean |y_t - y_{t-m}|
(M4 convention, m = 1 for yearly). Prints one markdown row per (source, model, period),
averaged over the series present in every forecast file. When a file's label starts with
"r_" (R's forecast package, the reference), a second table gives every other source's sMAPE
and MASE relative to R's for the same model and period (+1.0% = 1% worse than R).
"""
import sys
from collections import defaultdict

import numpy as np


def main():
    series = {}
    with open(sys.argv[1]) as f:
        next(f)
        for line in f:
            sid, period, m, h, train, test = line.rstrip("\n").split(",")
            series[sid] = (period, int(m), np.array(train.split(";"), float), np.array(test.split(";"), float))
    fcs = {}  # (label, model) -> {id: fc}
    for path in sys.argv[2:]:
        label = path.rsplit("/", 1)[-1].split(".")[0]
        with open(path) as f:
            next(f)
            for line in f:
                parts = line.rstrip("\n").split(",")
                if len(parts) != 4 or not parts[3]:
                    continue  # partial or empty row
                sid, model, secs, fc = parts
                fcs.setdefault((label, model), {})[sid] = np.array(fc.split(";"), float)
    common = set(series)
    for d in fcs.values():
        common &= {sid for sid, f in d.items() if sid in series and len(f) == len(series[sid][3])}
    print("| source | model | period | n | sMAPE | MASE |")
    print("|---|---|---|---|---|---|")
    table = {}  # (label, model, period) -> (sMAPE, MASE)
    for (label, model), d in sorted(fcs.items()):
        acc = defaultdict(lambda: [[], []])
        for sid in sorted(common):
            period, m, x, y = series[sid]
            f = d[sid]
            if len(f) != len(y):
                continue  # truncated row of a forecast file still being written
            smape = np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f)))
            mm = m if len(x) > m else 1
            scale = np.mean(np.abs(x[mm:] - x[:-mm]))
            mase = np.mean(np.abs(y - f)) / scale if scale > 0 else np.nan
            for p in (period, "all"):
                acc[p][0].append(smape)
                acc[p][1].append(mase)
        for p in ("yearly", "quarterly", "monthly", "all"):
            if p in acc:
                s, q = acc[p]
                print(f"| {label} | {model} | {p} | {len(s)} | {np.mean(s):.3f} | {np.nanmean(q):.4f} |")
                table[(label, model, p)] = (np.mean(s), np.nanmean(q))
    refs = {(m, p): v for (lab, m, p), v in table.items() if lab.startswith("r_")}
    if refs and any(not lab.startswith("r_") for lab, _, _ in table):
        print()
        print("| source | model | period | sMAPE vs R | MASE vs R |")
        print("|---|---|---|---|---|")
        for (label, model, p), (sm, ms) in sorted(table.items()):
            if label.startswith("r_") or (model, p) not in refs:
                continue
            rs, rm = refs[(model, p)]
            print(f"| {label} | {model} | {p} | {100 * (sm / rs - 1):+.2f}% | {100 * (ms / rm - 1):+.2f}% |")


if __name__ == "__main__":
    main()
