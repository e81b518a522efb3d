#!/usr/bin/env bash
# `skucast train` (hidden 64, 2 layers, context 112 + horizon 28, batch 256, dropout 0) on a synth catalog vs a PyTorch training step, windows/s at 1 and 2 threads
#
# skucast: the command itself, `skucast train --model lstm` on a `skucast synth` catalog
# (SERIES × DAYS, seed 1; every input the synthetic panel has: lags, calendar, events, prices,
# promotions, six static embeddings — F inputs per step, which train prints), EPOCHS epochs
# of BATCHES batches. The figure is the windows/s train prints at the end: the training
# batches of every epoch (window sampling and cutting, input composition, forward, loss,
# backward, clipping, AdamW), not the panel load; the validation after each epoch is timed
# apart (the "validation … s" train prints, the sum over epochs).
# Peer: a PyTorch training step of the same network (torch.nn.LSTM with F inputs, hidden 64,
# 2 layers, dense head to the Gaussian's two parameters, Gaussian NLL, backward, global-norm
# clipping at 10, AdamW) on the same number of windows of inputs already cut (random
# tensors): skucast's window cutting and input composition are on its side only.
# Each thread count runs both, alternating, ROUNDS times; the best of each is kept (the
# robust figure on a shared machine) and every round prints the 1-minute load average beside
# its figures. OpenMP, OpenBLAS and torch get the same thread count.
# PyTorch: bench/torch_python.bash (a venv under /tmp, created from PyPI when missing).
# Env: SERIES (4000), DAYS (730), EPOCHS (2), BATCHES per epoch (8), THREADS ("1 2"),
# ROUNDS (3), PEER_S seconds per torch measurement (3), PEER_VENV, SKUCAST_TORCH_PYTHON,
# BENCH_TMP (a temp folder), KEEP=dir (keeps the panel and logs there).
set -euo pipefail
: "${SKUCAST_BIN:?run through bench/run.sh or set SKUCAST_BIN}"
. "$(dirname "$0")/torch_python.bash"
SERIES=${SERIES:-4000}; DAYS=${DAYS:-730}; EPOCHS=${EPOCHS:-2}; BATCHES=${BATCHES:-8}
THREADS="${THREADS:-1 2}"; ROUNDS="${ROUNDS:-3}"; PEER_S="${PEER_S:-3}"
B=256
if [ -n "${KEEP:-}" ]; then TMP=$KEEP; mkdir -p "$TMP"
else TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/skucast_bench_train_cpu.XXXXXX"); trap 'rm -rf "$TMP"' EXIT; fi

# ---- the catalog
"$SKUCAST_BIN" synth --series "$SERIES" --days "$DAYS" --seed 1 --out "$TMP/panel.h5" 2> "$TMP/synth.log" ||
  { cat "$TMP/synth.log" >&2; exit 1; }

# ---- skucast: `skucast train` with N threads; prints "windows_per_s validation_s F"
skucast_once() {
  local n=$1 log="$TMP/train_t$1.log"
  OMP_NUM_THREADS=$n OPENBLAS_NUM_THREADS=$n "$SKUCAST_BIN" train --ensemble 1 --panel "$TMP/panel.h5" --model lstm \
    --horizon 28 --context 112 --hidden 64 --layers 2 --batch $B --dropout 0 --likelihood gaussian \
    --epochs "$EPOCHS" --windows-per-epoch $((BATCHES * B)) --patience 1000 --seed 1 --threads "$n" \
    --out "$TMP/model.h5" 2> "$log" || { cat "$log" >&2; return 1; }
  local wps val f
  wps=$(sed -n 's/.* \([0-9.]*\) windows\/s (training batches), validation \([0-9.]*\) s.*/\1 \2/p' "$log")
  f=$(sed -n 's/.*: \([0-9]*\) inputs per step.*/\1/p' "$log")
  [ -n "$wps" ] && [ -n "$f" ] || { echo "train_cpu: cannot read the figures of skucast train:" >&2; cat "$log" >&2; return 1; }
  echo "$wps $f"
}

# ---- peer
torch_python train_cpu
torch_once() {  # $1 threads, $2 = F
  "$PY" - "$1" "$2" "$PEER_S" $B 2>/dev/null <<'PYEOF'
import sys, time, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn.functional as Fn
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
T, F, min_s, B, H, L = 140, int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), 64, 2
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
while n < 3 or time.perf_counter() - t0 < min_s:
    step()
    n += 1
print("%.1f" % (B * n / (time.perf_counter() - t0)))
PYEOF
}

declare -A best_s best_t load_s load_t val_s
F=0
for t in $THREADS; do best_s[$t]=0; best_t[$t]=0; load_s[$t]=nan; load_t[$t]=nan; val_s[$t]=nan; done
for r in $(seq "$ROUNDS"); do
  for t in $THREADS; do
    ls_=$(load1)
    out=$(skucast_once "$t") || { echo "train_cpu: skucast train failed" >&2; exit 1; }
    read -r s v F <<< "$out"
    lt_=$(load1); p=nan
    if [ -n "$PY" ]; then p=$(torch_once "$t" "$F") || p=nan; fi
    echo "round $r, $t thread(s): skucast $s windows/s (load $ls_; validation $v s), torch $p windows/s (load $lt_)" >&2
    if /usr/bin/python3 -c "import sys; sys.exit(0 if $s > ${best_s[$t]} else 1)"; then
      best_s[$t]=$s; load_s[$t]=$ls_; val_s[$t]=$v; fi
    if [ "$p" != nan ] && /usr/bin/python3 -c "import sys; sys.exit(0 if $p > ${best_t[$t]} else 1)"; then
      best_t[$t]=$p; load_t[$t]=$lt_; fi
  done
done
tv=nan; [ -n "$PY" ] && tv=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null)
echo "catalog: skucast synth $SERIES series × $DAYS days (seed 1); F = $F inputs per step; $EPOCHS epochs × $BATCHES batches of $B windows" >&2
echo "peer: torch $tv (${PY:-none}), pre-cut inputs; best of $ROUNDS alternating rounds" >&2
res="RESULT train_cpu" last=""
for t in $THREADS; do
  pt=${best_t[$t]}; [ "$pt" = 0 ] && pt=nan
  echo "  $t thread(s): skucast ${best_s[$t]} windows/s (load ${load_s[$t]}, validation ${val_s[$t]} s), torch $pt (load ${load_t[$t]})" >&2
  res+=" skucast_windows_per_s_t$t=${best_s[$t]} torch_windows_per_s_t$t=$pt load_t$t=${load_s[$t]} validation_s_t$t=${val_s[$t]}"
  last=$t
done
first=${THREADS%% *}
scaling=$(/usr/bin/python3 -c "print('%.3f' % (${best_s[$last]} / ${best_s[$first]}))")
ratio=$(/usr/bin/python3 -c "t='${best_t[$last]}'; print('nan' if float(t) == 0 else '%.3f' % (${best_s[$last]} / float(t)))")
echo "$res skucast_scaling_t${first}_to_t$last=$scaling inputs=$F ratio=$ratio"
