#!/usr/bin/env python3
"""bench/arima_statsforecast.py in.csv out.csv — statsforecast's AutoARIMA (its port of
auto.arima, defaults) on each row's train part, one series at a time on one core, for
bench/arima.sh. Run it with a Python that has statsforecast (a venv under /tmp; benchmark
only, never CI). Numba compilation is excluded: one warm-up fit per season length first.
Rows in: id,period,m,h,train,test; out: id,model,secs,fc (model "arima").
"""
import sys
import time

import numpy as np
from statsforecast.models import AutoARIMA


def main():
    rows = []
    with open(sys.argv[1]) as f:
        next(f)
        for line in f:
            sid, period, m, h, train, test = line.rstrip("\n").split(",")
            rows.append((sid, int(m), int(h), np.array(train.split(";"), float)))
    for m in sorted({r[1] for r in rows}):  # warm-up: numba JIT
        y = 100 + np.sin(np.arange(4 * m + 8)) * 10 + np.arange(4 * m + 8)
        AutoARIMA(season_length=m).forecast(y=y, h=2)
    with open(sys.argv[2], "w") as out:
        out.write("id,model,secs,fc\n")
        for sid, m, h, y in rows:
            t0 = time.perf_counter()
            try:
                fc = AutoARIMA(season_length=m).forecast(y=y, h=h)["mean"]
            except Exception:  # noqa: BLE001 — a failed fit gets the naive forecast, timed
                fc = np.repeat(y[-1], h)
            secs = time.perf_counter() - t0
            out.write(f"{sid},arima,{secs},{';'.join(repr(float(v)) for v in fc)}\n")
            out.flush()


if __name__ == "__main__":
    main()
