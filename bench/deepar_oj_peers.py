#!/usr/bin/env python3
"""bench/deepar_oj_peers.py — the PyPI peers of bench/deepar_oj.sh on the orange-juice split.

Usage (from bench/deepar_oj.sh, with the peers' virtualenv python):
  deepar_oj_peers.py versions                 print the versions of the libraries used
  deepar_oj_peers.py OUTDIR PEER [H=12]       train PEER on OUTDIR/panel.csv (bench/oj_data.R),
                                              forecast the H held-out weeks, write OUTDIR/PEER.csv
PEER: gluonts_deepar | nf_lstm | nf_deepar | nf_nhits. One peer per process, so that a peer that
fails (or a library that does not import) leaves the others alone. The CSV has oj_score.py's
columns: series_id, step, mean and, where the model gives quantiles or samples, q0.1, q0.5, q0.9.
Environment: CORES (torch threads, default: all), PEER_MAX_S (wall-clock budget of one peer's
training, default 900 s: Lightning's max_time; when it cuts training short the script says so),
NF_SCALER_TYPE (unset: the default; a side check only, e.g. standard: overrides the
neuralforecast models' scaler_type, and the output says NON-DEFAULT).

Every peer runs with its library's DEFAULT hyperparameters; only the data interface is set:
horizon H, frequency, the covariates and what the library needs to be told about them:
  - known-future covariates: log(price), deal, feat (the same regressors as skucast arimax
    price:log,deal,feat; skucast's LSTM sees price, deal, feat from the panel and scales them itself);
  - static categoricals: store (83 levels) and brand (11 levels), as embeddings: GluonTS
    feat_static_cat with cardinality [83, 11] (DeepAR's default embedding sizes), neuralforecast
    stat_exog_list + cat_exog_list with categorical_cardinalities (its default "fastai" sizes).
Context / input size:
  - GluonTS DeepAR: context_length = None -> prediction_length (12), the library default, plus its
    default lags for weekly data and its default time features;
  - neuralforecast LSTM and DeepAR: input_size = -1, the default (documented: "-1 uses 3 * horizon",
    i.e. 36 weeks);
  - neuralforecast NHITS: input_size has no default; we use 2 * h = 24, the size of the NHITS usage
    example in the neuralforecast documentation (h=12, input_size=24).
Steps / epochs: the library defaults (GluonTS: 100 epochs x 50 batches of 32; neuralforecast:
max_steps 1000), each cut by PEER_MAX_S (reported when it happens).
Losses (defaults): GluonTS DeepAR and neuralforecast DeepAR: Student-t likelihood, 100 sample
paths -> mean, q0.1, q0.5, q0.9 (neuralforecast DeepAR: its "mean" column, the median, and the
80 % interval bounds lo-80 / hi-80 = q0.1 / q0.9 from its default level=[80, 90]).
neuralforecast LSTM and NHITS: MAE loss (default) -> one point forecast, the estimate of the
median; written as `mean` only (no quantiles), so oj_score.py shows no MASE(q50) or pinball
for them; bench/deepar_oj.sh uses their point MASE as their median figure.
Missing weeks: each series starts at its first observed week; GluonTS gets NaN for the missing
weeks after that (its native handling: observed-values indicator, default imputation);
neuralforecast gets available_mask = 0 on those weeks (excluded from the loss and the scalers)
with the value carried forward from the last observed week as the input. All series end at the
last history week (148), so every forecast covers the same 12 held-out weeks.
Time index: Dominick's week w is the week starting 1989-09-14 + 7 (w - 1) days (GluonTS's weekly
time features need dates; neuralforecast gets the integer week, freq=1).
Shared: run_gluonts, run_nf, Budget and main take a Split (the data part above: history, known
future covariates, static categoricals, frequency), so bench/deepar_synth_peers.py runs the same
four peers, built the same way, on the synthetic catalog with its own Split.
"""
import datetime
import os
import sys
import time

QUANTILES = (0.1, 0.5, 0.9)
WEEK1 = "1989-09-14"


def versions(name="deepar_oj"):
    import importlib.metadata as md
    out = [f"python {sys.version.split()[0]}"]
    for p in ("torch", "lightning", "gluonts", "neuralforecast", "numpy", "pandas"):
        try:
            out.append(f"{p} {md.version(p)}")
        except md.PackageNotFoundError:
            out.append(f"{p} (not installed)")
    print(f"{name} peers: " + ", ".join(out))


class Split:
    """What a peer is given of a benchmark's data (one per benchmark: load below, and
    bench/deepar_synth_peers.py's).
      hist: DataFrame series_id, time (integer step), value (NaN = missing), the columns of cov
            and cats; each series from its first observed step to hist_end, sorted by series, time
      fut:  DataFrame series_id, time, the columns of cov: the H steps after hist_end (only the
            series of hist are used)
      cov:  known-future real covariates; cats: static categoricals (constant per series)
      freq: the pandas / GluonTS frequency of a step ("W", "D"); start(t): the pd.Period of step t"""

    def __init__(self, hist, fut, hist_end, cov, cats, freq, start):
        self.hist, self.fut, self.hist_end = hist, fut, hist_end
        self.cov, self.cats, self.freq, self.start = list(cov), list(cats), freq, start


def load(outdir, h):
    import numpy as np
    import pandas as pd
    p = pd.read_csv(f"{outdir}/panel.csv")
    p["log_price"] = np.log(p["price"])
    hist_end = p["time"].max() - h
    first_obs = p[p["value"].notna()].groupby("series_id")["time"].min()
    p = p[p["time"] >= p["series_id"].map(first_obs)].sort_values(["series_id", "time"])
    hist, fut = p[p["time"] <= hist_end].copy(), p[p["time"] > hist_end].copy()
    assert fut.groupby("series_id").size().eq(h).all(), "every series needs H future weeks"
    week1 = pd.Period(WEEK1, freq="W")
    return Split(hist, fut, hist_end, cov=["log_price", "deal", "feat"], cats=["store", "brand"], freq="W",
                 start=lambda t: week1 + int(t - 1))


def write(outdir, name, fc, hist):
    """Writes OUTDIR/NAME.csv and says how many series got a forecast outside [0, 10 x the
    series' largest observed value] (the figures still count them: this only explains them)."""
    fc.to_csv(f"{outdir}/{name}.csv", index=False)
    top = hist.groupby("series_id")["value"].max()
    lo = fc.groupby("series_id")["mean"].min(); hi = fc.groupby("series_id")["mean"].max()
    bad = ((hi > 10 * top.reindex(hi.index)) | (lo < 0)).sum()
    if bad:
        print(f"{name}: NOTE: {bad} of {len(hi)} series have a mean forecast below 0 or above 10x their "
              f"largest observed value (min {lo.min():.4g}, max {hi.max():.4g})", flush=True)


class Budget:
    """Lightning callback: remembers the steps / epochs trained and whether max_time stopped it."""

    def __init__(self, max_s, pl):  # pl: the Lightning package the library's Trainer comes from

        class _CB(pl.Callback):
            def __init__(cb):
                cb.steps = cb.epochs = 0
                cb.t0 = None

            def on_train_start(cb, trainer, module):
                cb.t0 = time.time()

            def on_train_end(cb, trainer, module):
                cb.steps, cb.epochs = trainer.global_step, trainer.current_epoch
        self.cb = _CB()
        self.max_s = max_s

    def kwargs(self):
        return {"max_time": datetime.timedelta(seconds=self.max_s), "callbacks": [self.cb]}

    def report(self, name, default_desc, reached):
        cb = self.cb
        cut = (not reached) and cb.t0 is not None and time.time() - cb.t0 >= self.max_s * 0.98
        msg = f"{name}: trained {cb.steps} steps / {cb.epochs} epochs (library default {default_desc})"
        if cut:
            msg += f"; REDUCED: stopped by the {self.max_s:.0f} s time budget (PEER_MAX_S)"
        print(msg, flush=True)


def run_gluonts(outdir, h, max_s, d):
    import numpy as np
    import pandas as pd
    import lightning.pytorch as pl
    from gluonts.dataset.common import ListDataset
    from gluonts.torch.model.deepar import DeepAREstimator
    pl.seed_everything(1, workers=True)
    hist, fut, cov = d.hist, d.fut, d.cov
    levels = {c: sorted(hist[c].unique()) for c in d.cats}  # codes 0..K-1 for feat_static_cat
    code = {c: {v: i for i, v in enumerate(lv)} for c, lv in levels.items()}
    train, test = [], []
    fut_by = dict(tuple(fut.groupby("series_id")))
    for sid, g in hist.groupby("series_id"):
        f = fut_by[sid]
        start = d.start(g["time"].iloc[0])
        y = g["value"].to_numpy(np.float32)  # NaN = missing step
        tr = {"item_id": sid, "start": start, "target": y}
        te = dict(tr)
        if d.cats:
            tr["feat_static_cat"] = te["feat_static_cat"] = [code[c][g[c].iloc[0]] for c in d.cats]
        if cov:
            x_hist = g[cov].to_numpy(np.float32).T
            tr["feat_dynamic_real"] = x_hist
            te["feat_dynamic_real"] = np.concatenate([x_hist, f[cov].to_numpy(np.float32).T], axis=1)
        train.append(tr)
        test.append(te)
    budget = Budget(max_s, pl)  # GluonTS trains with lightning.pytorch
    est = DeepAREstimator(freq=d.freq, prediction_length=h, num_feat_dynamic_real=len(cov),
                          num_feat_static_cat=len(d.cats),
                          cardinality=[len(levels[c]) for c in d.cats] if d.cats else None,
                          trainer_kwargs={"enable_progress_bar": False, "logger": False,
                                          "enable_model_summary": False,
                                          "default_root_dir": f"{outdir}/gluonts", **budget.kwargs()})
    t0 = time.time()
    predictor = est.train(ListDataset(train, freq=d.freq), cache_data=True)
    t1 = time.time()
    budget.report("gluonts_deepar", "100 epochs x 50 batches", budget.cb.epochs >= 100)
    rows = []
    for fc in predictor.predict(ListDataset(test, freq=d.freq)):
        qs = {q: fc.quantile(q) for q in QUANTILES}
        for k in range(h):
            rows.append((fc.item_id, k + 1, float(fc.mean[k]), *(float(qs[q][k]) for q in QUANTILES)))
    t2 = time.time()
    write(outdir, "gluonts_deepar",
          pd.DataFrame(rows, columns=["series_id", "step", "mean"] + [f"q{q}" for q in QUANTILES]), hist)
    return t1 - t0, t2 - t1


def run_nf(outdir, h, max_s, which, d):
    import numpy as np
    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import DeepAR, LSTM, NHITS
    hist, fut, hist_end, cov = d.hist, d.fut, d.hist_end, d.cov
    df = hist.rename(columns={"series_id": "unique_id", "time": "ds", "value": "y"})
    df["available_mask"] = df["y"].notna().astype(np.float32)
    df["y"] = df.groupby("unique_id")["y"].ffill()
    df = df[["unique_id", "ds", "y", "available_mask"] + cov]
    futr = fut[fut["series_id"].isin(hist["series_id"].unique())] \
        .rename(columns={"series_id": "unique_id", "time": "ds"})[["unique_id", "ds"] + cov]
    exog, static = {}, None
    if cov:
        exog["futr_exog_list"] = cov
    if d.cats:
        static = hist.groupby("series_id")[d.cats].first().reset_index().rename(columns={"series_id": "unique_id"})
        exog.update(stat_exog_list=d.cats, cat_exog_list=d.cats,
                    categorical_cardinalities={c: int(static[c].nunique()) for c in d.cats})
    import pytorch_lightning
    budget = Budget(max_s, pytorch_lightning)  # neuralforecast trains with pytorch_lightning
    if os.environ.get("NF_SCALER_TYPE"):  # opt-in side check, never set by bench/deepar_oj.sh
        exog["scaler_type"] = os.environ["NF_SCALER_TYPE"]
        print(f"{which}: NON-DEFAULT scaler_type={exog['scaler_type']} (NF_SCALER_TYPE)", flush=True)
    tk = dict(enable_progress_bar=False, logger=False, enable_model_summary=False,
              default_root_dir=f"{outdir}/nf", **budget.kwargs())
    # A series shorter than input_size is refused unless start_padding_enabled (zeros before its
    # start, masked out of the loss): the library's own advice; set only when a series needs it.
    k = 2 * h if which == "nf_nhits" else 3 * h
    short = int((hist.groupby("series_id").size() < k).sum())
    if short:
        exog["start_padding_enabled"] = True
        print(f"{which}: start_padding_enabled=True (default False): {short} series have fewer than "
              f"input_size = {k} steps", flush=True)
    if which == "nf_lstm":
        model = LSTM(h=h, **exog, **tk)            # input_size=-1 (3 * h), MAE loss, 1000 steps
    elif which == "nf_deepar":
        model = DeepAR(h=h, **exog, **tk)          # input_size=-1 (3 * h), Student-t, 1000 steps
    else:
        model = NHITS(h=h, input_size=2 * h, **exog, **tk)  # no default input_size: docs' 2 * h
    nf = NeuralForecast(models=[model], freq=1)
    t0 = time.time()
    nf.fit(df=df, static_df=static)
    t1 = time.time()
    # NeuralForecast trains deep copies of the models (and of their callbacks): read the copy's
    budget.cb = next(cb for cb in nf.models[0].trainer_kwargs["callbacks"] if type(cb) is type(budget.cb))
    budget.report(which, f"max_steps {model.max_steps}", budget.cb.steps >= model.max_steps)
    pred = nf.predict(futr_df=futr if cov else None)
    t2 = time.time()
    pred = pred.reset_index() if "unique_id" not in pred.columns else pred
    name = type(model).__name__
    out = pd.DataFrame({"series_id": pred["unique_id"], "step": (pred["ds"] - hist_end).astype(int),
                        "mean": pred[name]})
    if f"{name}-median" in pred.columns:
        out["q0.1"], out["q0.5"], out["q0.9"] = pred[f"{name}-lo-80"], pred[f"{name}-median"], pred[f"{name}-hi-80"]
    print(f"{which}: prediction columns {[c for c in pred.columns if c not in ('unique_id', 'ds')]}", flush=True)
    write(outdir, which, out, hist)
    return t1 - t0, t2 - t1


def main(load_split=load, name="deepar_oj", default_h=12):
    """The command line above; load_split(outdir, h) -> Split gives the benchmark's data."""
    if len(sys.argv) >= 2 and sys.argv[1] == "versions":
        versions(name)
        return
    outdir, peer = sys.argv[1], sys.argv[2]
    h = int(sys.argv[3]) if len(sys.argv) > 3 else default_h
    max_s = float(os.environ.get("PEER_MAX_S", "900"))
    import torch
    if os.environ.get("CORES"):
        torch.set_num_threads(int(os.environ["CORES"]))
    if peer == "gluonts_deepar":
        train_s, pred_s = run_gluonts(outdir, h, max_s, load_split(outdir, h))
    elif peer in ("nf_lstm", "nf_deepar", "nf_nhits"):
        train_s, pred_s = run_nf(outdir, h, max_s, peer, load_split(outdir, h))
    else:
        raise SystemExit(f"{name}_peers: unknown peer {peer}")
    print(f"PEER_TIME {peer} train_s={train_s:.1f} forecast_s={pred_s:.1f} threads={torch.get_num_threads()}",
          flush=True)


if __name__ == "__main__":
    main()
