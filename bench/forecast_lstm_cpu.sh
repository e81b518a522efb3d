#!/usr/bin/env bash
# `skucast forecast --model lstm --paths 100` on 2,000 and 30,000 synth series vs the same network's ancestral sampling in PyTorch, series/s
#
# skucast: for each size N in SIZES, a `skucast synth` catalog of N series × DAYS days (seed 1),
# a model from `skucast train` at the benchmark shape (hidden 64, 2 layers, context 112,
# horizon 28; one short epoch: the forecast's speed does not depend on how well it is trained),
# then the command itself: `skucast forecast --model lstm --checkpoint model.h5 --horizon 28
# --paths 100 --quantiles 0.1,0.5,0.9`. The figure is N / the command's wall time (panel and
# checkpoint load, encoder, sampling, means and quantiles, the forecast file written); the
# forecast's own "model … s (… series/s)" and the peak RSS are printed beside it.
# Peer: the same network's ancestral sampling in PyTorch (no_grad, torch.nn.LSTM with F inputs,
# hidden 64, 2 layers, dense head, Gaussian draws): the encoder over the context of all N
# series, its states copied to the 100 paths, then all N × 100 paths in one batch (up to
# PEER_MAX_ROWS, below), step by step: the 7 base inputs from each path's own last 28 values (lag 1, observed flag, seasonal
# lag 7, rolling mean and std over 7 and 28), the other F - 7 inputs pre-cut (random, per
# series and step), one recurrent step, the head, one draw, clipped at 0; then the mean and
# the 0.1/0.5/0.9 quantiles over the paths. Its time excludes making the random inputs.
# PEER_MAX_ROWS (400,000; 0 = no limit) splits the peer's batch into blocks of series of at most
# that many paths: 2,000 × 100 paths run as one batch (≈ 1.3 GB), 30,000 × 100 in one batch
# would take ≈ 20 GB, so it runs as blocks of 4,000 series.
# Both with THREADS threads (OpenMP / OpenBLAS / torch), alternating ROUNDS times, best kept;
# the 1-minute load average is printed beside every figure.
# PyTorch: bench/torch_python.bash (a venv under /tmp, created from PyPI when missing).
# Env: SIZES ("2000 30000"), DAYS (730), PATHS (100), THREADS (nproc), ROUNDS (2),
# PEER_MAX_ROWS (400000), PEER_VENV, SKUCAST_TORCH_PYTHON, BENCH_TMP, KEEP=dir.
set -euo pipefail
: "${SKUCAST_BIN:?run through bench/run.sh or set SKUCAST_BIN}"
. "$(dirname "$0")/torch_python.bash"
SIZES=${SIZES:-2000 30000}; DAYS=${DAYS:-730}; PATHS=${PATHS:-100}
THREADS=${THREADS:-$(nproc)}; ROUNDS=${ROUNDS:-2}; PEER_MAX_ROWS=${PEER_MAX_ROWS:-400000}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
if [ -n "${KEEP:-}" ]; then TMP=$KEEP; mkdir -p "$TMP"
else TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/skucast_bench_forecast_lstm_cpu.XXXXXX"); trap 'rm -rf "$TMP"' EXIT; fi
torch_python forecast_lstm_cpu

# ---- skucast: prints "series_per_s model_series_per_s peak_rss_mb"
skucast_once() {  # $1 = N
  local log="$TMP/forecast_$1.log"
  /usr/bin/time -f "maxrss_kb %M" "$SKUCAST_BIN" forecast --panel "$TMP/panel_$1.h5" --model lstm \
    --checkpoint "$TMP/model_$1.h5" --horizon 28 --paths "$PATHS" --quantiles 0.1,0.5,0.9 --seed 1 \
    --out "$TMP/fc_$1.h5" 2> "$log" || { cat "$log" >&2; return 1; }
  local m
  m=$(sed -n 's/.*; model \([0-9.]*\) s (\([0-9.]*\) series\/s), total \([0-9.]*\) s.*/\3 \2/p' "$log")
  [ -n "$m" ] || { echo "forecast_lstm_cpu: cannot read the figures of skucast forecast:" >&2; cat "$log" >&2; return 1; }
  local rss
  rss=$(sed -n 's/^maxrss_kb \([0-9]*\)/\1/p' "$log")
  read -r total model_sps <<< "$m"
  /usr/bin/python3 -c "print('%.1f %s %.1f' % ($1 / $total, '$model_sps', $rss / 1024))"
}

torch_once() {  # $1 = N, $2 = F
  "$PY" - "$THREADS" "$1" "$2" "$PATHS" "$PEER_MAX_ROWS" 2>/dev/null <<'PYEOF'
import resource, sys, time, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn.functional as Fn
threads, S, F, N, max_rows = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
CTX, H, HD, L, F0, W = 112, 28, 64, 2, 7, 28
E = F - F0
rnn, head = torch.nn.LSTM(F, HD, L), torch.nn.Linear(HD, 2)
qs = torch.tensor([0.1, 0.5, 0.9])
sb = S if max_rows <= 0 else max(1, min(S, max_rows // N))  # series per block
blocks = []
for s0 in range(0, S, sb):  # pre-cut inputs (not timed): encoder inputs, last 28 values, future exog
    n = min(sb, S - s0)
    blocks.append((torch.randn(CTX, n, F), torch.rand(n, W) * 5, torch.randn(H, n, E)))

def block(x_ctx, hist, exog):
    n = x_ctx.shape[1]
    R = n * N
    _, (h, c) = rnn(x_ctx)                                   # encoder: [L, n, HD]
    h, c = h.repeat_interleave(N, dim=1), c.repeat_interleave(N, dim=1)  # [L, R, HD]
    scale = hist.mean(dim=1).clamp_min(1e-3).repeat_interleave(N)       # [R]
    last = hist.repeat_interleave(N, dim=0) / scale[:, None]             # [R, 28], scaled
    paths = torch.empty(H, R)
    ones = torch.ones(R, 1)
    for t in range(H):
        base = torch.stack([last[:, -1], ones[:, 0], last[:, -7], last[:, -7:].mean(1), last[:, -7:].std(1, unbiased=False),
                            last.mean(1), last.std(1, unbiased=False)], dim=1)  # [R, 7]
        ex = exog[t].repeat_interleave(N, dim=0)                                # [R, E]
        out, (h, c) = rnn(torch.cat([base, ex], dim=1)[None], (h, c))
        raw = head(out[0])
        mu, sigma = raw[:, 0], Fn.softplus(raw[:, 1]) + 1e-6
        z = (mu + sigma * torch.randn(R)).clamp_min(0.0)
        paths[t] = z * scale
        last = torch.cat([last[:, 1:], z[:, None]], dim=1)
    p = paths.T.reshape(n, N, H)
    return p.mean(dim=1), torch.quantile(p, qs, dim=1)

with torch.no_grad():
    block(torch.randn(CTX, 2, F), torch.rand(2, W), torch.randn(H, 2, E))  # warm-up (lazy init), not timed
    t0 = time.perf_counter()
    for b in blocks:
        block(*b)
    sps = S / (time.perf_counter() - t0)
print("%.2f %.1f" % (sps, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
PYEOF
}

res="RESULT forecast_lstm_cpu" worst=""
for n in $SIZES; do
  "$SKUCAST_BIN" synth --series "$n" --days "$DAYS" --seed 1 --out "$TMP/panel_$n.h5" 2> "$TMP/synth_$n.log" ||
    { cat "$TMP/synth_$n.log" >&2; exit 1; }
  "$SKUCAST_BIN" train --ensemble 1 --panel "$TMP/panel_$n.h5" --model lstm --horizon 28 --context 112 --hidden 64 --layers 2 \
    --dropout 0 --epochs 1 --windows-per-epoch 256 --seed 1 --out "$TMP/model_$n.h5" 2> "$TMP/train_$n.log" ||
    { cat "$TMP/train_$n.log" >&2; exit 1; }
  F=$(sed -n 's/.*: \([0-9]*\) inputs per step.*/\1/p' "$TMP/train_$n.log")
  bs=0 bt=0 ls=nan lt=nan msps=nan rss=nan trss=nan
  for r in $(seq "$ROUNDS"); do
    l1=$(load1)
    out=$(skucast_once "$n") || { echo "forecast_lstm_cpu: skucast forecast failed" >&2; exit 1; }
    read -r s m k <<< "$out"
    l2=$(load1); p=nan pk=nan
    if [ -n "$PY" ]; then read -r p pk <<< "$(torch_once "$n" "$F" || echo nan nan)"; fi
    echo "$n series, round $r: skucast $s series/s (load $l1; model part $m series/s, peak RSS $k MB), torch $p series/s (load $l2, peak RSS $pk MB)" >&2
    if /usr/bin/python3 -c "import sys; sys.exit(0 if $s > $bs else 1)"; then bs=$s ls=$l1 msps=$m rss=$k; fi
    if [ "$p" != nan ] && /usr/bin/python3 -c "import sys; sys.exit(0 if $p > $bt else 1)"; then bt=$p lt=$l2 trss=$pk; fi
  done
  [ "$bt" = 0 ] && bt=nan
  ratio=$(/usr/bin/python3 -c "print('nan' if '$bt' == 'nan' else '%.3f' % ($bs / $bt))")
  echo "  $n series × $DAYS days, F = $F, $PATHS paths, $THREADS thread(s): skucast $bs series/s (load $ls, peak RSS $rss MB), torch $bt series/s (load $lt, peak RSS $trss MB): $ratio" >&2
  res+=" skucast_series_per_s_$n=$bs torch_series_per_s_$n=$bt load_$n=$ls rss_mb_$n=$rss torch_rss_mb_$n=$trss ratio_$n=$ratio"
  worst=$(/usr/bin/python3 -c "w='$worst'; r='$ratio'; print(r if w == '' or (r != 'nan' and (w == 'nan' or float(r) < float(w))) else w)")
  rm -f "$TMP/panel_$n.h5" "$TMP/fc_$n.h5"
done
tv=nan; [ -n "$PY" ] && tv=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null)
echo "peer: torch $tv (${PY:-none}), no_grad, series × paths in batches of at most $PEER_MAX_ROWS paths (0: one batch)" >&2
echo "$res inputs=$F paths=$PATHS threads=$THREADS ratio=$worst"
