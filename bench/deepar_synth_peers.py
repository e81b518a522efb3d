#!/usr/bin/env python3
"""bench/deepar_synth_peers.py — the PyPI peers of bench/deepar_synth.sh on the synthetic catalog.

Usage (from bench/deepar_synth.sh, with the peers' virtualenv python):
  deepar_synth_peers.py versions                 print the versions of the libraries used
  deepar_synth_peers.py WORK PEER [H=28]         train PEER on WORK/peer_train.csv (written by
                                                 bench/deepar_synth_data.py split), forecast the
                                                 H held-out days, write WORK/PEER.csv
PEER: gluonts_deepar | nf_lstm | nf_deepar | nf_nhits. Everything but the data comes from
bench/deepar_oj_peers.py (run_gluonts, run_nf, main): the same four models with their libraries'
DEFAULT hyperparameters, the same training budget (PEER_MAX_S, default 900 s; deepar_synth.sh
sets its own), the same outputs (series_id, step, mean and, for the DeepARs, q0.1, q0.5, q0.9;
neuralforecast LSTM and NHITS: MAE loss, a point forecast only) and the same handling of missing
days (GluonTS: NaN; neuralforecast: available_mask 0 and the last value carried forward).
The data interface on this catalog, set the way deepar_oj_peers.py sets it on orange juice:
  - known-future covariates: log(price), promo and snap (the SNAP day flag of the series' state),
    from the panel's /dynamic; the calendar events are not given;
  - static categoricals: store (10 levels) and dept (7), as embeddings (GluonTS feat_static_cat
    with DeepAR's default embedding sizes; neuralforecast stat_exog_list + cat_exog_list);
  - each series from its first observed day (the synthetic catalog launches items late); a
    series with no observed day before the held-out days is not fitted (it has no scale, so
    `skucast score` gives it no metric, whichever model forecast it);
  - context: GluonTS context_length = prediction_length (28), its default, plus its default lags
    and time features for daily data; neuralforecast LSTM and DeepAR input_size = -1 (3 * h = 84
    days, the default); NHITS input_size = 2 * h = 56 (no default; the docs' example ratio, as
    on orange juice);
  - time index: step t is the day start + t (GluonTS gets the dates, freq "D"; neuralforecast
    the integer step, freq=1).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepar_oj_peers as peers  # noqa: E402


def load(work, h):
    import pandas as pd
    with open(f"{work}/peer_meta.json") as f:
        meta = json.load(f)
    if meta["h"] != h:
        raise SystemExit(f"deepar_synth_peers: {work} was split for H = {meta['h']}, not {h}")
    hist = pd.read_csv(f"{work}/peer_train.csv").sort_values(["series_id", "time"])
    fut = pd.read_csv(f"{work}/peer_future.csv")
    start = pd.Period(meta["start"], freq="D")
    return peers.Split(hist, fut, meta["origin"] - 1, cov=meta["cov"], cats=meta["cats"], freq="D",
                       start=lambda t: start + int(t))


if __name__ == "__main__":
    peers.main(load, "deepar_synth", 28)
