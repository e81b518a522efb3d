#!/usr/bin/env bash
# LSTM training on the CPU, the code `skucast train` runs (hidden 64, 2 layers, context 112 + horizon 28, batch 256) vs PyTorch, windows/s
#
# skucast: bench/bench_lstm_cpu (Google Benchmark) runs deepar_train, the function behind
# `skucast train`, on a `skucast synth` panel (SERIES × DAYS, seed 1), dropout 0, Gaussian
# likelihood; windows/s is what `skucast train` prints per epoch: the training batches, each
# one window sampling, cutting and input composition (features, calendar, events, covariates,
# static embeddings) + forward, loss, backward, clipping and AdamW; not the panel load or the
# validation. F = the inputs per step skucast's model has on that panel (printed).
# Peer: the same recurrent step in PyTorch (torch.nn.LSTM with F inputs, dense head, Gaussian NLL,
# backward, global-norm clipping at 10, AdamW) on inputs already cut (random), so the
# comparison leaves skucast's window cutting and input composition on its side only. Same
# thread count on both sides. PyTorch (CPU build) comes from PyPI into a venv the script
# creates when missing (benchmark only, never the tests or CI); without PyPI, the script uses
# /usr/bin/python3 when it has torch, else it reports the skucast half alone.
# Env: SERIES (2000), DAYS (730), BATCHES per timed epoch (8), THREADS (nproc), ROUNDS
# alternations of the two (3; best of each kept, the robust figure on a shared machine),
# MIN_TIME seconds per skucast run (3), PEER_VENV (/tmp/skucast-torch-venv),
# SKUCAST_TORCH_PYTHON (a python with torch, instead of the venv), BENCH_TMP (a temp folder).
set -euo pipefail
: "${SKUCAST_BIN:?run through bench/run.sh or set SKUCAST_BIN}"
BENCH="$BUILD/bench/bench_lstm_cpu"
[ -x "$BENCH" ] || { echo "lstm_cpu: $BENCH not built (needs libbenchmark-dev)" >&2; exit 2; }
SERIES=${SERIES:-2000}; DAYS=${DAYS:-730}; BATCHES=${BATCHES:-8}
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-3}"
MIN_TIME="${MIN_TIME:-3}"
PEER_VENV=${PEER_VENV:-/tmp/skucast-torch-venv}
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/skucast_bench_lstm_cpu.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- the panel
"$SKUCAST_BIN" synth --series "$SERIES" --days "$DAYS" --seed 1 --out "$TMP/panel.h5" 2> "$TMP/synth.log" ||
  { cat "$TMP/synth.log" >&2; exit 1; }

# ---- skucast: prints "windows_per_s F"
skucast_once() {
  SKUCAST_BENCH_PANEL="$TMP/panel.h5" SKUCAST_BENCH_BATCHES="$BATCHES" "$BENCH" --benchmark_filter='BM_Train/lstm' \
    --benchmark_min_time="$MIN_TIME" --benchmark_format=json 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print(b["windows_per_s"], int(b["F"]))'
}

# ---- peer: a python with torch
PY="${SKUCAST_TORCH_PYTHON:-}"
if [ -z "$PY" ]; then
  if [ ! -x "$PEER_VENV/bin/python" ] || ! "$PEER_VENV/bin/python" -c "import torch" 2>/dev/null; then
    echo "lstm_cpu: creating $PEER_VENV with PyTorch, CPU build (pip)" >&2
    { python3 -m venv "$PEER_VENV" &&
      "$PEER_VENV/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu; } >/dev/null 2>&1 || true
  fi
  if "$PEER_VENV/bin/python" -c "import torch" 2>/dev/null; then PY="$PEER_VENV/bin/python"
  elif /usr/bin/python3 -c "import torch" 2>/dev/null; then PY=/usr/bin/python3
    echo "lstm_cpu: PyTorch could not be installed into $PEER_VENV (no PyPI access?); using /usr/bin/python3's" >&2
  fi
fi

torch_once() {  # $1 = F
  "$PY" - "$THREADS" "$1" 2>/dev/null <<'PYEOF'
import sys, time, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn.functional as Fn
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
T, B, F, H, L = 140, 256, int(sys.argv[2]), 64, 2
rnn, head = torch.nn.LSTM(F, H, L), torch.nn.Linear(H, 2)
params = list(rnn.parameters()) + list(head.parameters())
opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)
x, y, scale = torch.randn(T, B, F), torch.randn(T, B), torch.ones(B)

def step():
    opt.zero_grad()
    h, _ = rnn(x)
    raw = head(h)
    mu, sigma = scale * raw[..., 0], scale * (Fn.softplus(raw[..., 1]) + 1e-6)
    loss = -torch.distributions.Normal(mu, sigma, validate_args=False).log_prob(y).mean()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 10.0)
    opt.step()

for _ in range(2):
    step()
n, t0 = 0, time.perf_counter()
while n < 3 or time.perf_counter() - t0 < 3.0:
    step()
    n += 1
print(B * n / (time.perf_counter() - t0))
PYEOF
}

best_s=0 best_t=0 F=0
for r in $(seq "$ROUNDS"); do
  out=$(skucast_once) || { echo "lstm_cpu: $BENCH failed" >&2; exit 1; }
  read -r s F <<< "$out"
  t=nan
  if [ -n "$PY" ]; then t=$(torch_once "$F") || t=nan; fi
  echo "round $r: skucast $s windows/s, torch $t windows/s (F = $F inputs per step)" >&2
  best_s=$(/usr/bin/python3 -c "print(max($best_s, $s))")
  [ "$t" = nan ] || best_t=$(/usr/bin/python3 -c "print(max($best_t, $t))")
done
echo "panel: skucast synth $SERIES series × $DAYS days (seed 1); skucast's model: F = $F inputs per step" >&2
if [ -z "$PY" ] || [ "$best_t" = 0 ]; then
  echo "lstm_cpu: no PyTorch that runs (set SKUCAST_TORCH_PYTHON or allow pip to reach PyPI); peer not measured" >&2
  /usr/bin/python3 -c "print('RESULT lstm_cpu skucast_windows_per_s=%.1f torch_windows_per_s=nan inputs=$F threads=$THREADS ratio=nan' % $best_s)"
  exit 0
fi
tv=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null)
echo "peer: torch $tv ($PY), threads $THREADS, load $(cut -d' ' -f1 /proc/loadavg)" >&2
/usr/bin/python3 -c "print('RESULT lstm_cpu skucast_windows_per_s=%.1f torch_windows_per_s=%.1f inputs=$F threads=$THREADS ratio=%.3f' % ($best_s, $best_t, $best_s / $best_t))"
