#!/usr/bin/env python3
"""bench/calibration_data.py — data and scoring for bench/calibration.sh (standard library only).

  calibration_data.py m3 M3_CSV_GZ OUTDIR
      one panel CSV per M3 period (OUTDIR/m3_<period>_train.csv: series_id,time,value, integer
      time, every series ending at the same step so the forecast origin is common) and its
      held-out test period (OUTDIR/m3_<period>_test.csv: series_id,step,value), plus
      OUTDIR/m3_<period>.env (M=season length, H=horizon).
  calibration_data.py split EXPORT_CSV H OUTDIR NAME
      splits a panel exported by `skucast export` into OUTDIR/NAME_train.csv (all but the last H
      times) and OUTDIR/NAME_test.csv (the last H, series_id,step,value), and writes
      OUTDIR/NAME_panel.csv: the export with the last H times' sales blanked and every other
      column kept (covariates, statics, events, and the future rows after the history), for
      `skucast ingest` with the covariates known over the held-out steps.
  calibration_data.py score TRAIN_CSV TEST_CSV FORECAST_CSV [M]
      (TEST_CSV: series_id,step,value, or bench/oj_data.R's actual.csv with an `actual` column)
      prints "cov80=… cov95=… pinball=… n=…": the share of held-out actuals inside the 0.1–0.9
      and 0.025–0.975 intervals (bounds included) and the mean pinball loss over the forecast's
      levels scaled by each series' in-sample one-step naive MAE (series with scale 0 left out);
      with M (the season length) also "mase=…", the mean over series of the mean's MAE divided by
      the in-sample mean |y_t − y_{t−M}| (lag 1 when the history is not longer than M; series with
      scale 0 left out), as M3 and `skucast backtest` define it.
  calibration_data.py plan TEST_CSV PLAN_CSV
      scores a `skucast plan` (one order-up-to level S per series, protection period L + R from
      its columns) against the held-out demand D of steps 1..L+R, one cycle per series:
      "cycle=… fill=… mean_S=… mean_end_stock=… n=…": the share of series with D <= S (achieved
      cycle service), 1 − sum (D − S)+ / sum D_R with D_R the demand of steps L+1..L+R (achieved
      fill rate), the mean S and the mean stock left, (S − D)+. Series with a missing actual in
      the window are left out.
"""
import csv
import gzip
import math
import os
import sys
from collections import defaultdict

from export_csv import read_export  # bench/export_csv.py


def m3(src, out):
    rows = defaultdict(list)
    with gzip.open(src, "rt") as f:
        for r in csv.DictReader(f):
            rows[r["period"]].append(r)
    for period, rs in rows.items():
        n_max = max(len(r["train"].split(";")) for r in rs)
        with open(os.path.join(out, f"m3_{period}_train.csv"), "w") as tr, \
                open(os.path.join(out, f"m3_{period}_test.csv"), "w") as te:
            tr.write("series_id,time,value\n")
            te.write("series_id,step,value\n")
            for r in rs:
                train = r["train"].split(";")
                for i, v in enumerate(train):
                    tr.write(f"{r['id']},{n_max - len(train) + i + 1},{v}\n")
                for i, v in enumerate(r["test"].split(";")):
                    te.write(f"{r['id']},{i + 1},{v}\n")
        with open(os.path.join(out, f"m3_{period}.env"), "w") as e:
            e.write(f"M={rs[0]['m']}\nH={rs[0]['h']}\n")


def split(export, h, out, name):
    h = int(h)
    data, times = read_export(export)
    cut = set(times[-h:])
    with open(export) as f, open(os.path.join(out, f"{name}_panel.csv"), "w", newline="") as pf:
        rd, wr = csv.reader(f), csv.writer(pf)
        head = next(rd)
        wr.writerow(head)
        i_t, i_v = head.index("time"), head.index("value")
        for r in rd:
            if r[i_t] in cut:
                r[i_v] = ""
            wr.writerow(r)
    step = {t: i + 1 for i, t in enumerate(times[-h:])}
    with open(os.path.join(out, f"{name}_train.csv"), "w") as tr, open(os.path.join(out, f"{name}_test.csv"), "w") as te:
        tr.write("series_id,time,value\n")
        te.write("series_id,step,value\n")
        for sid, t, v in data:
            if t in cut:
                if v != "":
                    te.write(f"{sid},{step[t]},{v}\n")
            elif t <= times[-h - 1]:
                tr.write(f"{sid},{t},{v}\n")


def score(train, test, fc, m=None):
    hist = defaultdict(list)
    with open(train) as f:
        for r in csv.DictReader(f):
            hist[r["series_id"]].append(float(r["value"]) if r["value"] not in ("", "NaN", "nan") else math.nan)
    scale = {}
    for sid, y in hist.items():
        d = [abs(b - a) for a, b in zip(y, y[1:]) if not (math.isnan(a) or math.isnan(b))]
        scale[sid] = sum(d) / len(d) if d else math.nan
    actual = {}
    with open(test) as f:
        for r in csv.DictReader(f):
            actual[(r["series_id"], int(r["step"]))] = float(r["value"] if "value" in r else r["actual"])
    n = c80 = c95 = 0
    pin, n_pin = 0.0, 0
    abs_err = defaultdict(list)
    with open(fc) as f:
        rd = csv.DictReader(f)
        levels = [c for c in rd.fieldnames if c.startswith("q")]
        for r in rd:
            key = (r["series_id"], int(r["step"]))
            if key not in actual:
                continue
            y = actual[key]
            abs_err[r["series_id"]].append(abs(y - float(r["mean"])))
            q = {float(c[1:]): float(r[c]) for c in levels}
            n += 1
            c80 += q[0.1] <= y <= q[0.9]
            c95 += q[0.025] <= y <= q[0.975]
            s = scale.get(r["series_id"], math.nan)
            if s > 0:
                for tau, v in q.items():
                    pin += (tau * (y - v) if y >= v else (1 - tau) * (v - y)) / s
                    n_pin += 1
    out = f"cov80={c80 / n:.4f} cov95={c95 / n:.4f} pinball={pin / n_pin:.4f} n={n}"
    if m is not None:
        m = int(m)
        total, used = 0.0, 0
        for sid, errs in abs_err.items():
            y = [v for v in hist[sid] if not math.isnan(v)]
            lag = m if len(y) > m else 1
            d = [abs(y[t] - y[t - lag]) for t in range(lag, len(y))]
            sc = sum(d) / len(d) if d else 0.0
            if sc > 0:
                total += sum(errs) / len(errs) / sc
                used += 1
        out += f" mase={total / used:.4f}"
    print(out)


def plan(test, plan_csv):
    actual = defaultdict(dict)
    with open(test) as f:
        for r in csv.DictReader(f):
            actual[r["series_id"]][int(r["step"])] = float(r["value"])
    n = met = 0
    short = review = s_sum = end_sum = 0.0
    with open(plan_csv) as f:
        for r in csv.DictReader(f):
            a = actual.get(r["series_id"], {})
            lead, rev = int(r["lead_time"]), int(r["review_period"])
            if any(h not in a for h in range(1, lead + rev + 1)):
                continue
            d = sum(a[h] for h in range(1, lead + rev + 1))
            d_r = sum(a[h] for h in range(lead + 1, lead + rev + 1))
            s = float(r["order_up_to"])
            n += 1
            met += d <= s
            short += max(0.0, d - s)
            review += d_r
            s_sum += s
            end_sum += max(0.0, s - d)
    fill = 1 - short / review if review > 0 else math.nan
    print(f"cycle={met / n:.4f} fill={fill:.4f} mean_S={s_sum / n:.3f} mean_end_stock={end_sum / n:.3f} n={n}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "m3":
        m3(sys.argv[2], sys.argv[3])
    elif cmd == "split":
        split(*sys.argv[2:6])
    elif cmd == "plan":
        plan(*sys.argv[2:4])
    elif cmd == "score":
        score(*sys.argv[2:6])
    else:
        sys.exit(f"calibration_data.py: unknown command {cmd}")
