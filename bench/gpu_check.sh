#!/usr/bin/env bash
# bench/gpu_check.sh — on a lent GPU: the GPU parity tests and the GPU benchmarks (vs cudaMemcpy and PyTorch), from the pack of bench/gpu_pack.sh
# (the tests include gpu_test_deepar_train_parity and gpu_test_deepar_forecast_parity; the benchmarks include the full DeepAR training step, `train H`)
#
# Run HERE first (no GPU needed):   bench/gpu_pack.sh          (builds + packs build-gpu/pack)
# Then ONE device call (the device tool, from the repository root):
#   run(command="bash bench/gpu_check.sh", carry=["build-gpu/pack"], timeout_s=560)
# It needs no build on the device. Everything it writes lands in $OUT (at most 8 files):
#   summary.txt   one line per test binary (PASS/FAIL/TIMEOUT/NOT RUN), the RESULT lines, the environment
#   tests.log     the full GoogleTest output      bench.log   the benchmark output
#   env.log       nvidia-smi, library search, ldd
# Budget: the whole script stops itself after TOTAL_S seconds (default 480) and each step has
# its own timeout, so a hang cannot eat the 15-minute device budget; steps that no longer fit
# are reported as NOT RUN. Expected run time on an H200: about 2-3 minutes.
# Without a GPU (or without the pack) it says so and exits 0 without running anything.
# Env: PACK (default build-gpu/pack), OUT (default /tmp/gpu_check), TOTAL_S, SANITIZE=1 to run
# the kernel parity tests under compute-sanitizer memcheck as well (adds about a minute),
# ONLY=stats to run just the statistical models' GPU parity test and bench_gpu_stats (about
# 4-6 minutes on an H200: 1,000,000 monthly-like and 1,000,000 daily-like series for ets,
# theta, croston and ses, each GPU run capped at STATS_GPU_S seconds, default 25),
# ONLY=deepar to run just the DeepAR GPU tests (training step and forecast parity, about a
# minute on an H200; no benchmarks), ONLY=nightly to run just the whole nightly job on
# NIGHTLY_SERIES x NIGHTLY_DAYS series (default 30,000 x 1,941; issue 6 item d).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PACK="${PACK:-$ROOT/build-gpu/pack}"
OUT="${OUT:-/tmp/gpu_check}"
TOTAL_S="${TOTAL_S:-480}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"; TESTS="$OUT/tests.log"; BENCH="$OUT/bench.log"; ENV="$OUT/env.log"
: > "$SUMMARY"; : > "$TESTS"; : > "$BENCH"; : > "$ENV"
START=$(date +%s)
say() { echo "$*" | tee -a "$SUMMARY"; }
remaining() { echo $((TOTAL_S - ($(date +%s) - START))); }
# Step limit: the step's own cap, or what is left of the budget minus a 10 s margin.
limit() { local r; r=$(( $(remaining) - 10 )); [ "$r" -lt "$1" ] && echo "$r" || echo "$1"; }

# ---------------------------------------------------------------- device ----
# GPU_CHECK_FORCE=1 runs every step without a GPU (the tests then skip, the benchmarks exit
# 77): a dry run of this script's own logic on a CPU machine.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "nvidia-smi not found" > "$ENV"
else
  timeout 30 nvidia-smi -L > "$ENV" 2>&1
fi
if ! grep -q '^GPU' "$ENV" && [ "${GPU_CHECK_FORCE:-0}" != 1 ]; then
  say "gpu_check: no GPU on this machine ($(head -c 200 "$ENV" | tr '\n' ' ')); nothing run. Run this script through the device tool on a lent GPU machine."
  exit 0
fi
# The pack travels compressed (Note [GPU pack size] in bench/gpu_pack.sh): unpack it first.
if [ ! -d "$PACK/bin" ] && [ -f "$PACK/pack.tar.xz" ]; then
  UNPACKED=$(mktemp -d /tmp/skucast_pack.XXXXXX)
  cp "$PACK/manifest.txt" "$UNPACKED/" 2>/dev/null
  # tar needs the xz program; Python's tarfile (lzma) is the fallback.
  if tar -C "$UNPACKED" -xJf "$PACK/pack.tar.xz" 2>/dev/null ||
     python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACK/pack.tar.xz" "$UNPACKED"; then
    PACK="$UNPACKED"
  else say "gpu_check: cannot unpack $PACK/pack.tar.xz"; exit 0; fi
fi
if [ ! -d "$PACK/bin" ]; then
  say "gpu_check: no pack at $PACK; run bench/gpu_pack.sh here first and carry build-gpu/pack"
  exit 0
fi
say "gpu_check: $(head -1 "$ENV") on $(hostname), budget ${TOTAL_S}s"
timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv >> "$ENV" 2>&1

# ---------------------------------------------------- CUDA libraries ----
# cuDNN 9, cuBLAS 13 (and cudart, if the packed one is not wanted) come from the device:
# PyTorch's nvidia-* wheels and the CUDA toolkit. Every folder holding one of them is added.
PY=$(command -v python3 || true)
search=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu)
if [ -n "$PY" ]; then
  while read -r d; do [ -n "$d" ] && search+=("$d"); done < <(timeout 60 "$PY" - <<'PYEOF' 2>>"$ENV"
import os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
try:
    import torch
    roots.append(os.path.join(os.path.dirname(torch.__file__), "lib"))
except Exception:
    pass
for r in roots:
    for sub in ("nvidia", "lib"):
        p = os.path.join(r, sub) if sub == "nvidia" else r
        if os.path.isdir(p):
            print(p)
PYEOF
)
fi
libdirs=()
for name in 'libcudnn.so.9*' 'libcublas.so.13*' 'libcublasLt.so.13*'; do
  d=$(find -H "${search[@]}" -maxdepth 5 -name "$name" 2>/dev/null | head -1)
  if [ -n "$d" ]; then libdirs+=("$(dirname "$d")"); echo "found $name in $(dirname "$d")" >> "$ENV"
  else echo "NOT found: $name" >> "$ENV"; fi
done
LIBPATH="$PACK/lib"
for d in $(printf '%s\n' "${libdirs[@]}" | awk '!seen[$0]++'); do LIBPATH="$LIBPATH:$d"; done
export LD_LIBRARY_PATH="$LIBPATH:${LD_LIBRARY_PATH:-}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >> "$ENV"
missing=0
for b in "$PACK"/bin/*; do
  if ldd "$b" 2>&1 | grep -q 'not found'; then
    missing=1; { echo "ldd $b:"; ldd "$b"; } >> "$ENV" 2>&1
  fi
done
if [ "$missing" = 1 ]; then
  say "gpu_check: some libraries are missing on this machine (see env.log):"
  grep 'not found' "$ENV" | sort -u | tee -a "$SUMMARY"
fi

# ----------------------------------------------------------------- tests ----
failed=0
run_test() {  # binary, cap seconds
  local b="$PACK/bin/$1" cap="$2" lim rc
  lim=$(limit "$cap")
  if [ "$lim" -lt 15 ]; then say "NOT RUN $1 (budget spent)"; failed=1; return; fi
  echo "===== $1 (timeout ${lim}s)" >> "$TESTS"
  timeout -k 5 "$lim" "$b" --gtest_color=no >> "$TESTS" 2>&1; rc=$?
  local passed skipped
  # Per-test result lines end in "(N ms)"; the closing lists repeat the names without it.
  passed=$(grep -c '^\[       OK \] .* ms)$' <(sed -n "/^===== $1 /,/^===== /p" "$TESTS"))
  skipped=$(grep -c '^\[  SKIPPED \] .* ms)$' <(sed -n "/^===== $1 /,/^===== /p" "$TESTS"))
  case $rc in
    0) say "PASS    $1 ($passed passed, $skipped skipped)";;
    124|137) say "TIMEOUT $1 after ${lim}s"; failed=1;;
    *) say "FAIL    $1 (exit $rc; $(sed -n "/^===== $1 /,/^===== /p" "$TESTS" | grep '^\[  FAILED  \]' | sort -u | head -5 | tr '\n' ' '))"; failed=1;;
  esac
}
ONLY="${ONLY:-all}"
for b in "$PACK"/bin/gpu_*; do
  n=$(basename "$b")
  [ "$ONLY" = stats ] && [ "$n" != gpu_test_stat_models_parity ] && continue
  [ "$ONLY" = nightly ] && continue
  [ "$ONLY" = deepar ] && [ "$n" != gpu_test_deepar_train_parity ] && [ "$n" != gpu_test_deepar_forecast_parity ] && continue
  case $n in
    gpu_test_rnn_cudnn_parity) run_test "$n" 180 ;;  # CPU reference of the DeepAR shape included
    gpu_test_stat_models_parity) run_test "$n" 300 ;;  # the CPU models run too (16 cores)
    gpu_test_deepar_train_parity) run_test "$n" 120 ;;  # DeepAR training step, GPU vs CPU trainer (5 cases)
    gpu_test_deepar_forecast_parity) run_test "$n" 120 ;;  # DeepAR sample paths, GPU vs CPU forecaster (5 cases x 2)
    *) run_test "$n" 90 ;;
  esac
done
grep '^PARITY ' "$TESTS" >> "$SUMMARY" 2>/dev/null || true
if [ "${SANITIZE:-0}" = 1 ] && command -v compute-sanitizer >/dev/null; then
  for n in gpu_test_kernel_parity gpu_test_deepar_kernel_parity; do
    lim=$(limit 120); [ "$lim" -lt 15 ] && break
    echo "===== memcheck $n" >> "$TESTS"
    if timeout -k 5 "$lim" compute-sanitizer --tool memcheck --error-exitcode 9 "$PACK/bin/$n" >> "$TESTS" 2>&1; then
      say "PASS    memcheck $n"; else say "FAIL    memcheck $n (exit $?)"; failed=1; fi
  done
fi

# ------------------------------------------------------------ benchmarks ----
# The statistical models on 1,000,000 series: GPU vs forecast_batch on 2 CPU threads in the
# same binary (ratio = GPU series/s / 2-thread CPU series/s; goal >= 50).
run_stats_bench() {
BS="$PACK/bin/bench_gpu_stats"
STATS_GPU_S="${STATS_GPU_S:-25}"
for shape in "monthly 120 12 18" "daily 1941 7 28"; do
  set -- $shape
  lim=$(limit 200)
  if [ "$lim" -lt 30 ]; then say "NOT RUN bench stats $1 (budget spent)"; continue; fi
  echo "===== bench_gpu_stats $1 (timeout ${lim}s)" >> "$BENCH"
  timeout -k 5 "$lim" "$BS" --series 1000000 --steps "$2" --m "$3" --horizon "$4" --tag "$1" \
    --models ets,theta,croston,ses --max-gpu-s "$STATS_GPU_S" >> "$BENCH" 2>&1 ||
    say "bench stats $1: exit $? (see bench.log)"
  grep "^RESULT gpu_.*_$1 " "$BENCH" | tee -a "$SUMMARY" >/dev/null
done
# arima (auto.arima per series), 1,000,000 monthly series: GPU vs the 2-core CPU twin (its CPU
# side times a prefix of 256 series, ~30 s; ARIMA_GPU_S caps the GPU run, the rest extrapolated)
lim=$(limit 240)
if [ "$lim" -lt 60 ]; then say "NOT RUN bench stats arima (budget spent)"; else
  echo "===== bench_gpu_stats arima monthly (timeout ${lim}s)" >> "$BENCH"
  timeout -k 5 "$lim" "$BS" --series 1000000 --steps 120 --m 12 --horizon 18 --tag monthly \
    --models arima --max-gpu-s "${ARIMA_GPU_S:-120}" >> "$BENCH" 2>&1 || say "bench stats arima: exit $? (see bench.log)"
  grep "^RESULT gpu_arima_monthly " "$BENCH" | tee -a "$SUMMARY" >/dev/null
fi
}
# ----------------------------------------------------------- nightly run ----
# Issue 6 item (d): the whole nightly job on NIGHTLY_SERIES x NIGHTLY_DAYS series (default
# 30,000 x 1,941) with the packed skucast: a synthetic catalog (not timed: it stands for the
# nightly ingest), one training epoch of the global LSTM on the GPU (default options, dropout
# 0.1 included; the panel resident, windows cut and validated on the device),
# 28-day forecasts with quantiles on the GPU, and the metrics of a 28-day backtest of the
# statistical baselines on the GPU. Wall time of each stage and in all.
run_nightly() {
  local SK="$PACK/bin/skucast" NS="${NIGHTLY_SERIES:-30000}" ND="${NIGHTLY_DAYS:-1941}" W lim t0 t1 t2 t3 rc=0
  [ -x "$SK" ] || { say "NOT RUN nightly (no skucast in the pack)"; return; }
  lim=$(limit 300)
  if [ "$lim" -lt 60 ]; then say "NOT RUN nightly (budget spent)"; return; fi
  W=$(mktemp -d /tmp/skucast_nightly.XXXXXX)
  echo "===== nightly $NS x $ND (timeout ${lim}s)" >> "$BENCH"
  local deadline=$(( $(date +%s) + lim ))
  left() { echo $(( deadline - $(date +%s) )); }
  timeout -k 5 "$(left)" "$SK" synth --series "$NS" --days "$ND" --horizon 28 --seed 1 --out "$W/panel.h5" >> "$BENCH" 2>&1 || rc=$?
  t0=$(date +%s.%N)
  [ $rc = 0 ] && { timeout -k 5 "$(left)" "$SK" train --ensemble 1 --panel "$W/panel.h5" --model lstm --horizon 28 --epochs 1 \
    --batch 1024 --device cuda --out "$W/lstm.h5" >> "$BENCH" 2>&1 || rc=$?; }
  t1=$(date +%s.%N)
  [ $rc = 0 ] && { timeout -k 5 "$(left)" "$SK" forecast --panel "$W/panel.h5" --model lstm --checkpoint "$W/lstm.h5" \
    --horizon 28 --quantiles 0.1,0.5,0.9 --device cuda --out "$W/fc.h5" >> "$BENCH" 2>&1 || rc=$?; }
  t2=$(date +%s.%N)
  [ $rc = 0 ] && { timeout -k 5 "$(left)" "$SK" backtest --panel "$W/panel.h5" --models snaive,ets,theta --horizon 28 \
    --device cuda --summary "$W/metrics.csv" >> "$BENCH" 2>&1 || rc=$?; }
  t3=$(date +%s.%N)
  if [ $rc = 0 ]; then
    say "RESULT gpu_nightly series=$NS days=$ND train_epoch_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') forecast_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') backtest_metrics_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN{printf "%.1f", b-a}') wall_s=$(awk -v a="$t0" -v b="$t3" 'BEGIN{printf "%.1f", b-a}')"
  else
    say "nightly: exit $rc (see bench.log)"
  fi
  rm -rf "$W"
}
if [ "$ONLY" = deepar ]; then
  say "gpu_check: done in $(( $(date +%s) - START ))s; tests $( [ $failed = 0 ] && echo 'all passed' || echo 'NOT all passed')"
  exit $failed
fi
if [ "$ONLY" = nightly ]; then
  run_nightly
  say "gpu_check: done in $(( $(date +%s) - START ))s"
  exit $failed
fi
if [ "$ONLY" = stats ]; then
  run_stats_bench
  say "gpu_check: done in $(( $(date +%s) - START ))s; tests $( [ $failed = 0 ] && echo 'all passed' || echo 'NOT all passed')"
  exit $failed
fi
BG="$PACK/bin/bench_gpu_kernels"
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | head -1; }
lim=$(limit 120)
if [ "$lim" -ge 20 ]; then
  echo "===== bench_gpu_kernels kernels" >> "$BENCH"
  timeout -k 5 "$lim" "$BG" kernels >> "$BENCH" 2>&1 || say "bench kernels: exit $? (see bench.log)"
  for k in features_fwd window_target likelihood_gaussian adamw_clip; do
    line=$(grep "^BENCH $k " "$BENCH" | tail -1)
    [ -n "$line" ] || continue
    say "RESULT gpu_$k gbps=$(echo "$line" | field gbps) memcpy_gbps=$(echo "$line" | field memcpy_gbps) ms=$(echo "$line" | field ms) ratio=$(echo "$line" | field fraction) (ratio = share of the D2D copy bandwidth; goal >= 0.70 for features)"
  done
else
  say "NOT RUN bench kernels (budget spent)"
fi
for h in 64 256; do
  lim=$(limit 90)
  if [ "$lim" -lt 20 ]; then say "NOT RUN lstm hidden $h (budget spent)"; continue; fi
  echo "===== bench_gpu_kernels lstm $h" >> "$BENCH"
  timeout -k 5 "$lim" "$BG" lstm "$h" >> "$BENCH" 2>&1 || say "bench lstm $h: exit $? (see bench.log)"
  s=$(grep "^BENCH lstm_step hidden=$h " "$BENCH" | tail -1 | field windows_per_s)
  lim=$(limit 150)
  t=""
  if [ -n "$PY" ] && [ "$lim" -ge 20 ]; then
    echo "===== gpu_torch_lstm.py $h" >> "$BENCH"
    # The packed libraries stay out of PyTorch's way: it brings its own.
    env -u LD_LIBRARY_PATH PYTHONUNBUFFERED=1 timeout -k 5 "$lim" "$PY" "$ROOT/bench/gpu_torch_lstm.py" "$h" >> "$BENCH" 2>&1 ||
      say "torch lstm $h: exit $? (see bench.log)"
    t=$(grep "^TORCH lstm_step hidden=$h " "$BENCH" | tail -1 | field windows_per_s)
  fi
  if [ -n "$s" ] && [ -n "$t" ]; then
    say "RESULT gpu_lstm_h$h skucast_windows_per_s=$s torch_windows_per_s=$t ratio=$(awk -v a="$s" -v b="$t" 'BEGIN{printf "%.3f", a/b}')"
  else
    say "RESULT gpu_lstm_h$h skucast_windows_per_s=${s:-none} torch_windows_per_s=${t:-none} ratio=none"
  fi
  # The full step of `skucast train --device cuda` (host sampling + windows cut on the device
  # from the resident panel + the step, CudaTrainStep), next to the same torch figure (F = 11
  # both). Also printed: with embeddings (F = 32, no peer), with the inputs composed on the host
  # (the path of panels over --gpu-memory) and with BF16 / FP16 recurrent layers.
  lim=$(limit 60)
  if [ "$lim" -lt 20 ]; then say "NOT RUN train hidden $h (budget spent)"; continue; fi
  echo "===== bench_gpu_kernels train $h" >> "$BENCH"
  timeout -k 5 "$lim" "$BG" train "$h" >> "$BENCH" 2>&1 || say "bench train $h: exit $? (see bench.log)"
  train_field() { grep "^BENCH train_step hidden=$h .*path=$1 precision=$2$3\$" "$BENCH" | tail -1 | field windows_per_s; }
  f=$(train_field resident fp32 "")
  e=$(train_field resident fp32 " embeddings=1")
  hc=$(train_field host fp32 "")
  b16=$(train_field resident bf16 "")
  f16=$(train_field resident fp16 "")
  extra="embeddings_windows_per_s=${e:-none} host_composed_windows_per_s=${hc:-none} bf16_windows_per_s=${b16:-none} fp16_windows_per_s=${f16:-none}"
  if [ -n "$f" ] && [ -n "$t" ]; then
    say "RESULT gpu_train_h$h skucast_windows_per_s=$f $extra torch_windows_per_s=$t ratio=$(awk -v a="$f" -v b="$t" 'BEGIN{printf "%.3f", a/b}')"
  else
    say "RESULT gpu_train_h$h skucast_windows_per_s=${f:-none} $extra torch_windows_per_s=${t:-none} ratio=none"
  fi
done

run_nightly
run_stats_bench  # last: in a full run it gets what the budget has left
say "gpu_check: done in $(( $(date +%s) - START ))s; tests $( [ $failed = 0 ] && echo 'all passed' || echo 'NOT all passed')"
exit $failed
