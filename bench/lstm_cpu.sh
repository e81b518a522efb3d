#!/usr/bin/env bash
# LSTM training step on the CPU (hidden 64, 2 layers, context 112 + horizon 28, batch 256): skucast vs PyTorch, windows/s
#
# One step = forward, Gaussian NLL, backward, global-norm clipping and AdamW, on inputs already
# cut (F = 11 features), on both sides, with the same thread count. PyTorch is the current
# release from PyPI in a venv (benchmark only, never CI):
#   python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch
# Env: SKUCAST_TORCH_PYTHON (default /tmp/torchvenv/bin/python, else /usr/bin/python3 if it has
# torch), THREADS (default nproc), ROUNDS alternations of the two (default 3; best of each
# is kept, which is the robust figure on a shared machine), MIN_TIME seconds per skucast run.
set -euo pipefail
BENCH="$BUILD/bench/bench_lstm_cpu"
[ -x "$BENCH" ] || { echo "lstm_cpu: $BENCH not built (needs libbenchmark-dev)" >&2; exit 2; }
PY="${SKUCAST_TORCH_PYTHON:-/tmp/torchvenv/bin/python}"
if ! "$PY" -c "import torch" 2>/dev/null; then
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then PY=/usr/bin/python3; else
    echo "lstm_cpu: no PyTorch found; create /tmp/torchvenv (see the header of this script)" >&2; exit 2; fi
fi
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-3}"
MIN_TIME="${MIN_TIME:-3}"
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"

skucast_once() {
  "$BENCH" --benchmark_filter='BM_TrainStep/lstm' --benchmark_min_time="$MIN_TIME" --benchmark_format=json 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["windows_per_s"])'
}

torch_once() {
  "$PY" - "$THREADS" 2>/dev/null <<'PYEOF'
import sys, time, warnings
warnings.filterwarnings("ignore")
import torch
import torch.nn.functional as Fn
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
T, B, F, H, L = 140, 256, 11, 64, 2
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

best_s=0 best_t=0
for r in $(seq "$ROUNDS"); do
  s=$(skucast_once); t=$(torch_once)
  echo "round $r: skucast $s windows/s, torch $t windows/s" >&2
  best_s=$(/usr/bin/python3 -c "print(max($best_s, $s))")
  best_t=$(/usr/bin/python3 -c "print(max($best_t, $t))")
done
tv=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null)
echo "peer: torch $tv ($PY), threads $THREADS, load $(cut -d' ' -f1 /proc/loadavg)" >&2
/usr/bin/python3 -c "print('RESULT lstm_cpu skucast_windows_per_s=%.1f torch_windows_per_s=%.1f threads=$THREADS ratio=%.3f' % ($best_s, $best_t, $best_s / $best_t))"
