#!/usr/bin/env python3
"""bench/ets_statsforecast.py in.csv out.csv — statsforecast's AutoETS (and AutoTheta is not
used: thetaf's peer is R) on each row's train part, one series at a time on one core, for
bench/ets.sh. Run it with a Python that has statsforecast (a venv under /tmp; benchmark
only, never CI). Numba compilation is excluded: one warm-up fit per season length first.
Rows in: id,period,m,h,train,test; out: id,model,secs,fc.
"""
import sys
import time

import numpy as np
from statsforecast.models import AutoETS


def main():
    rows = []
    with open(sys.argv[1]) as f:
        next(f)
        for line in f:
            sid, period, m, h, train, test = line.rstrip("\n").split(",")
            rows.append((sid, int(m), int(h), np.array(train.split(";"), float)))
    for m in sorted({r[1] for r in rows}):  # warm-up: numba JIT
        y = 100 + np.sin(np.arange(4 * m + 8)) * 10
        AutoETS(season_length=m).forecast(y=y, h=2)
    with open(sys.argv[2], "w") as out:
        out.write("id,model,secs,fc\n")
        for sid, m, h, y in rows:
            t0 = time.perf_counter()
            fc = AutoETS(season_length=m).forecast(y=y, h=h)["mean"]
            secs = time.perf_counter() - t0
            out.write(f"{sid},ets,{secs},{';'.join(repr(float(v)) for v in fc)}\n")


if __name__ == "__main__":
    main()
