#!/usr/bin/python3
"""bench/oj_earlier_split.py — a tuning split of the orange-juice panel, H weeks before the test weeks.

Usage: oj_earlier_split.py INDIR OUTDIR [H=12]
INDIR holds bench/oj_data.R's panel.csv (its held-out weeks have an empty value). OUTDIR gets the
same panel cut H weeks earlier: the held-out weeks and their covariates dropped, the last H
history weeks made empty (their covariates kept, the panel's future part), and actual.csv with
those weeks' values (series_id,time,step,actual; step = week - new last history week), so
bench/oj_score.py scores OUTDIR as it scores INDIR. Choices of a model's defaults are made on
this split and only confirmed on the test weeks (bench/README.md).
"""
import os
import sys

import pandas as pd


def main():
    src, out = sys.argv[1], sys.argv[2]
    H = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    p = pd.read_csv(f"{src}/panel.csv", dtype={"series_id": str, "store": str, "brand": str})
    last = p.loc[p["value"].notna(), "time"].max()  # the test split's last history week
    cut = last - H
    p = p[p["time"] <= last].copy()
    held = (p["time"] > cut) & p["value"].notna()
    act = p.loc[held, ["series_id", "time", "value"]].rename(columns={"value": "actual"})
    act.insert(2, "step", act["time"] - cut)
    p.loc[p["time"] > cut, "value"] = float("nan")
    os.makedirs(out, exist_ok=True)
    p.to_csv(f"{out}/panel.csv", index=False, float_format="%.8g")
    act.to_csv(f"{out}/actual.csv", index=False, float_format="%.6f")
    print(f"oj_earlier_split: history weeks {p['time'].min()} .. {cut}, held out {cut + 1} .. {last}: "
          f"{len(act)} values of {act['series_id'].nunique()} series")


if __name__ == "__main__":
    main()
