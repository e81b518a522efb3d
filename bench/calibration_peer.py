#!/usr/bin/env python3
"""bench/calibration_peer.py — the peer of bench/calibration.sh: statsforecast's own conformal
intervals (statsforecast.utils.ConformalIntervals, method "conformal_distribution") on the same
panel CSV, written as a forecast CSV that bench/calibration_data.py scores like skucast's.

  calibration_peer.py TRAIN_CSV H M MODEL N_WINDOWS OUT_CSV
      TRAIN_CSV: series_id,time,value (integer time, as calibration_data.py m3 writes it);
      MODEL: ets (AutoETS), theta (AutoTheta) or arima (AutoARIMA), season length M; N_WINDOWS: the conformal
      windows (skucast's calibration folds). Writes OUT_CSV (series_id,time,step,mean,q0.025,
      q0.1,q0.5,q0.9,q0.975; q0.5 = the mean, the peer has no median) and prints
      "seconds=… n_series=… n_fallback=…": the time of the fit, the windows and the forecast, one
      core (n_jobs=1), and how many series fell back: a series too short for the model inside
      a window falls back to Naive() with its own intervals (StatsForecast's fallback_model;
      without it the whole call fails on M3 yearly). The bounds are sorted per row (the
      comment at the writer says why).
"""
import csv
import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive
from statsforecast.utils import ConformalIntervals


def main(train, h, m, model, n_windows, out):
    h, m, n_windows = int(h), int(m), int(n_windows)
    df = pd.read_csv(train).rename(columns={"series_id": "unique_id", "time": "ds", "value": "y"})
    df = df.dropna(subset=["y"])
    ci = ConformalIntervals(n_windows=n_windows, h=h)
    peers = {"ets": AutoETS, "theta": AutoTheta, "arima": AutoARIMA}
    if model not in peers:
        sys.exit(f"calibration_peer.py: no peer for model '{model}' (expected one of {', '.join(peers)})")
    make = peers[model]
    sf = StatsForecast(models=[make(season_length=m, prediction_intervals=ci)], freq=1, n_jobs=1,
                       fallback_model=Naive())
    t0 = time.time()
    fc = sf.forecast(df=df, h=h, level=[80, 95])
    secs = time.time() - t0
    name = make.__name__
    fc = fc.sort_values(["unique_id", "ds"])
    # The series that fell back: their mean differs from the model's own forecast without
    # intervals (not timed).
    plain = StatsForecast(models=[make(season_length=m)], freq=1, n_jobs=1).forecast(df=df, h=h)
    plain = plain.sort_values(["unique_id", "ds"])
    differs = (fc[name].to_numpy() - plain[name].to_numpy()) != 0
    n_fallback = pd.Series(differs).groupby(fc["unique_id"].to_numpy()).any().sum()
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series_id", "time", "step", "mean", "q0.025", "q0.1", "q0.5", "q0.9", "q0.975"])
        step = 0
        prev = None
        for r in fc.itertuples(index=False):
            cols = dict(zip(fc.columns, r))  # the interval columns' names are no identifiers
            sid = cols["unique_id"]
            step = step + 1 if sid == prev else 1
            prev = sid
            mean = cols[name]
            # statsforecast 2.1.1 with fallback_model labels the interval columns lo-80, lo-95,
            # hi-80, hi-95 but fills them, for the series that got ConformalIntervals, in the order
            # lo-80, hi-80, lo-95, hi-95 (a series forecast alone comes out right). Both kinds of
            # intervals are symmetric about the mean and nested, so the four bounds sorted are
            # lo-95 <= lo-80 <= hi-80 <= hi-95 whatever the labels.
            bounds = sorted(cols[f"{name}-{side}-{lv}"] for side in ("lo", "hi") for lv in (80, 95))
            w.writerow([sid, cols["ds"], step, mean, bounds[0], bounds[1], mean, bounds[2], bounds[3]])
    print(f"seconds={secs:.2f} n_series={fc['unique_id'].nunique()} n_fallback={n_fallback}")


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(*sys.argv[1:])
