#!/usr/bin/python3
"""bench/deepar_synth_data.py — the data side of bench/deepar_synth.sh's peers: the split they
train on, their subset's origin for `skucast score`, and skucast's per-series metrics on their
subset. Runs with /usr/bin/python3 (numpy, pandas, h5py: Debian's python3-numpy, python3-pandas,
python3-h5py, as scripts/deps.sh installs them); reads the panel's HDF5 file directly (its
layout: DESIGN.md "The panel file").

  split PANEL WORK H N SEED
      The peers' subset: N series drawn from the panel without replacement by
      numpy.random.default_rng(SEED) and kept in panel order (all series when N >= the panel's).
      Writes, for those series (time = axis position, 0 = the panel's start date):
        WORK/peer_ids.txt      their ids, one a line
        WORK/peer_train.csv    series_id,time,value,log_price,promo,snap,store,dept: the history
                               before the last H days, each series from its first observed day
                               (value empty = missing; a series not observed there has no rows)
        WORK/peer_future.csv   series_id,time,log_price,promo,snap: the H held-out days'
                               covariates (known in advance: prices and promotions are planned)
        WORK/peer_actual.csv   series_id,time,value: the H held-out days' actuals (the peers never
                               read it; `skucast score` reads the panel)
        WORK/peer_meta.json    start, freq, origin (axis position of the first held-out day) and
                               origin_label (its date: `skucast score --origin` for the peers' CSVs), h,
                               the covariates and static categoricals given
      Covariates: log(price) and promo from /dynamic, snap = /dynamic/snap_<state> of the series'
      state; static: store and dept (their level names). The calendar events are not given.
  subset PANEL IDS SERIES_CSV MODEL [SUMMARY_CSV]
      One line "MASE RMSSE WRMSSE pinball cov80" over the series of IDS from per-series metrics
      (`skucast backtest --csv`, rows of MODEL; or `skucast score --csv` with MODEL "-"): each the
      mean over the series where it is defined, WRMSSE = sum w_i RMSSE_i / sum w_i over those
      with a defined RMSSE, w = the panel's /series/weight — the aggregation of
      engine/eval/backtest.h and engine/eval/score.cpp, so over all series it gives back their
      summaries (with SUMMARY_CSV, backtest's or score's --summary, that is checked and a
      difference said on stderr). "-" for a metric the CSV lacks (point forecasts: no pinball).
"""
import json
import os
import sys

COV = ["log_price", "promo", "snap"]
CATS = ["store", "dept"]


def _text(a):
    return a.decode() if isinstance(a, bytes) else str(a)


def _ids(f):
    return [_text(s) for s in f["series/id"][:]]


def _levels(f, name):
    codes = f[f"series/static/{name}"][:]
    levels = [_text(s) for s in f[f"series/static/{name}_levels"][:]]
    return [levels[c] for c in codes]


def split(panel, work, h, n, seed):
    import h5py
    import numpy as np
    import pandas as pd
    with h5py.File(panel, "r") as f:
        ids = _ids(f)
        N, T = f["target"].shape
        sub = np.arange(N) if n >= N else np.sort(np.random.default_rng(seed).choice(N, size=n, replace=False))
        y = f["target"][:][sub]
        price = f["dynamic/price"][:][sub, :T]
        promo = f["dynamic/promo"][:][sub, :T]
        state = np.array(_levels(f, "state"))[sub]
        snap = np.stack([f[f"dynamic/snap_{s}"][:T] for s in state])
        store = np.array(_levels(f, "store"))[sub]
        dept = np.array(_levels(f, "dept"))[sub]
        attrs = {k: _text(f.attrs[k]) for k in ("start", "freq")}
    origin = T - h
    sid = np.array(ids)[sub]
    with open(f"{work}/peer_ids.txt", "w") as out:
        out.write("".join(s + "\n" for s in sid))
    log_price = np.log(price)

    def long(t0, t1, with_value, with_cov, with_cats, first=None):
        t = np.arange(t0, t1)
        keep = np.ones((len(sub), t1 - t0), bool) if first is None else t[None, :] >= first[:, None]
        r, c = np.nonzero(keep)
        cols = {"series_id": sid[r], "time": t[c]}
        if with_value:
            cols["value"] = y[r, t0 + c]
        if with_cov:
            cols.update(log_price=log_price[r, t0 + c], promo=promo[r, t0 + c], snap=snap[r, t0 + c])
        if with_cats:
            cols.update(store=store[r], dept=dept[r])
        return pd.DataFrame(cols)

    observed = ~np.isnan(y[:, :origin])
    first = np.where(observed.any(axis=1), observed.argmax(axis=1), origin)  # origin: none observed
    long(0, origin, True, True, True, first).to_csv(f"{work}/peer_train.csv", index=False, float_format="%.7g")
    long(origin, T, False, True, False).to_csv(f"{work}/peer_future.csv", index=False, float_format="%.7g")
    long(origin, T, True, False, False).to_csv(f"{work}/peer_actual.csv", index=False, float_format="%.7g")
    if attrs["freq"] != "D":
        raise SystemExit(f"deepar_synth_data: {panel}: a daily panel expected (skucast synth's), got freq {attrs['freq']}")
    origin_label = (pd.Timestamp(attrs["start"]) + pd.Timedelta(days=int(origin))).strftime("%Y-%m-%d")
    meta = dict(start=attrs["start"], freq=attrs["freq"], origin=int(origin), origin_label=origin_label, h=int(h), n_panel=int(N),
                n_series=int(len(sub)), seed=int(seed), cov=COV, cats=CATS)
    with open(f"{work}/peer_meta.json", "w") as out:
        json.dump(meta, out, indent=1)
    print(f"deepar_synth: peer subset {len(sub)} of {N} series ({'all' if n >= N else f'numpy default_rng({seed}) sample'}), "
          f"{int((first >= origin).sum())} with no observed day before the held-out {h}; "
          f"{int(observed.sum())} observed training values; covariates {', '.join(COV)}; static {', '.join(CATS)}")


def _aggregate(df, weight):
    """{metric: mean over the series where defined}, wrmsse weighted as backtest / score do."""
    import numpy as np
    out = {}
    for m in ("mase", "rmsse", "pinball", "cov80"):
        if m in df.columns:
            v = df[m].to_numpy(float)
            v = v[np.isfinite(v)]
            out[m] = v.mean() if len(v) else float("nan")
    if "rmsse" in df.columns:
        r = df["rmsse"].to_numpy(float)
        w = df["series_id"].map(weight).to_numpy(float) if weight is not None else np.ones(len(r))
        ok = np.isfinite(r)
        out["wrmsse"] = (w[ok] * r[ok]).sum() / w[ok].sum() if ok.any() and w[ok].sum() > 0 else float("nan")
    return out


def subset(panel, ids_path, series_csv, model, summary_csv=None):
    import h5py
    import pandas as pd
    ids = set(s.rstrip("\n") for s in open(ids_path))
    with h5py.File(panel, "r") as f:
        weight = dict(zip(_ids(f), f["series/weight"][:].astype(float))) if "series/weight" in f else None
    df = pd.read_csv(series_csv)
    if model != "-":
        df = df[df["model"] == model]
    sub = _aggregate(df[df["series_id"].isin(ids)], weight)
    print(" ".join("%.4f" % sub[m] if m in sub else "-" for m in ("mase", "rmsse", "wrmsse", "pinball", "cov80")))
    if summary_csv:  # over every series the aggregation must give back skucast's own summary
        s = pd.read_csv(summary_csv)
        if "model" in s.columns and model != "-":
            s = s[s["model"] == model]
        full = _aggregate(df, weight)
        for m, v in full.items():
            ref = float(s[m].iloc[0])
            if abs(v - ref) > 5e-4 * max(1.0, abs(ref)):
                print(f"deepar_synth: WARNING: {series_csv}: {m} over all series {v:.6g}, skucast's summary "
                      f"{ref:.6g}: the subset aggregation does not reproduce skucast's", file=sys.stderr)


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "split":
        split(a[0], a[1], int(a[2]), int(a[3]), int(a[4]))
    elif cmd == "subset":
        subset(*a[:5])
    else:
        raise SystemExit(f"deepar_synth_data: unknown command {cmd}")


if __name__ == "__main__":
    main()
