#!/usr/bin/env bash
# skucast lstm/gru (defaults) vs every statistical model on a 10,000 x 1,100 synthetic catalog, last 28 days (RMSSE, WRMSSE, pinball).
#
# Usage: bench/run.sh deepar_synth   (env: BUILD / SKUCAST_BIN; SERIES=10000 DAYS=1100 H=28 SEED=1
# MODELS="lstm gru snaive ses croston tsb ets theta ets+theta" CORES=$(nproc) KEEP=dir keeps the files).
# One command makes the table: `skucast synth --series SERIES --days DAYS --seed SEED`, then
# `skucast backtest --models M --horizon H --folds 1` per model (the last H days held out; the
# global models trained on the rest with their DEFAULT settings: no flag beyond the horizon).
# Metrics are backtest's (engine/eval/metrics.h): RMSSE and WRMSSE (M5's weights from the
# panel's /series/weight, dollar sales), MASE, pinball over the quantiles 0.1, 0.5, 0.9, 80 %
# interval coverage; means over the series with a defined scale. Each model runs as its own
# backtest so its time and peak memory are its own.
# Peers: none yet in this script (GluonTS / neuralforecast on this catalog are follow-up work;
# bench/deepar_oj.sh runs them on real data).
# RESULT: ratio = best statistical model's RMSSE / the global model's (gru, the default, else lstm; > 1: it is better);
# the goal of issue 15 is ratio >= 1.11 (10 % lower RMSSE) with lower pinball loss.
# The row `expected` is the generator's own expected demand of the held-out days (`synth
# --expected-out`, Note [Expected demand] in engine/synth/synth.h) scored by `skucast score`
# with the same metrics: the floor no point forecast beats on average. RESULT's floor_ratio =
# best statistical RMSSE / that floor, the most any model could gain over it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
BIN="${SKUCAST_BIN:-$BUILD/skucast}"
[ -x "$BIN" ] || { echo "deepar_synth: $BIN not built" >&2; exit 2; }
SERIES=${SERIES:-10000}; DAYS=${DAYS:-1100}; H=${H:-28}; SEED=${SEED:-1}; CORES=${CORES:-$(nproc)}
MODELS=${MODELS:-lstm gru snaive ses croston tsb ets theta ets+theta}
export OMP_NUM_THREADS=$CORES
WORK="${KEEP:-$(mktemp -d /tmp/skucast-bench-deepar-synth.XXXXXX)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

echo "deepar_synth: skucast $("$BIN" --version 2>&1 | head -n 1), source tree at $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo '?'), $CORES threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" synth --series "$SERIES" --days "$DAYS" --seed "$SEED" --out "$WORK/syn.h5" \
  --expected-out "$WORK/expected.h5" --expected-steps "$H" 2> /dev/null
printf "%-10s %8s %8s %8s %8s %8s %8s %9s %9s\n" model MASE RMSSE WRMSSE pinball cov80 series seconds peak_MB
declare -A RMSSE PINBALL
for m in $MODELS; do
  log="$WORK/bt_${m//+/_}.txt"
  if ! /usr/bin/time -f "%M" -o "$WORK/mem" "$BIN" backtest --panel "$WORK/syn.h5" --models "$m" --horizon "$H" \
       --folds 1 > "$log" 2> "$WORK/bt_${m//+/_}.err"; then
    echo "deepar_synth: backtest --models $m failed:"; tail -n 3 "$WORK/bt_${m//+/_}.err"; continue
  fi
  # backtest's table: model MAE RMSE sMAPE MASE RMSSE WRMSSE bias pinball cov80 fallback seconds
  row=$(awk -v m="$m" '$1 == m { gsub(/\*/, ""); print }' "$log")
  n=$(sed -n 1p "$log" | awk '{ print $2 }')
  read -r _ _ _ _ mase rmsse wrmsse _ pinball cov80 _ secs <<< "$row"
  RMSSE[$m]=$rmsse; PINBALL[$m]=$pinball
  printf "%-10s %8s %8s %8s %8s %8s %8s %9s %9d\n" "$m" "$mase" "$rmsse" "$wrmsse" "$pinball" "$cov80" "$n" "$secs" \
    $(( $(cat "$WORK/mem") / 1024 ))
done
# The floor: score's summary row is model, steps, cells, then the metrics in its header's order.
"$BIN" score --forecast "$WORK/expected.h5" --panel "$WORK/syn.h5" --summary "$WORK/expected.csv" > /dev/null 2>&1
floor=$(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(*("%.4f" % float(r[k]) for k in ("rmsse", "wrmsse", "pinball", "cov80", "mase")))' "$WORK/expected.csv")
read -r f_rmsse f_wrmsse f_pinball f_cov80 f_mase <<< "$floor"
printf "%-10s %8s %8s %8s %8s %8s %8s %9s %9s\n" expected "$f_mase" "$f_rmsse" "$f_wrmsse" "$f_pinball" "$f_cov80" - - -
best=""; for m in "${!RMSSE[@]}"; do
  case $m in lstm|gru) continue ;; esac
  if [ -z "$best" ] || awk -v a="${RMSSE[$m]}" -v b="${RMSSE[$best]}" 'BEGIN { exit !(a < b) }'; then best=$m; fi
done
g=""; for m in gru lstm; do [ -n "${RMSSE[$m]:-}" ] && { g=$m; break; }; done  # the default global model first
if [ -n "$g" ] && [ -n "$best" ]; then
  echo "RESULT deepar_synth global=$g global_rmsse=${RMSSE[$g]} best_stat=$best best_stat_rmsse=${RMSSE[$best]} global_pinball=${PINBALL[$g]} best_stat_pinball=${PINBALL[$best]} expected_rmsse=$f_rmsse expected_pinball=$f_pinball ratio=$(awk -v a="${RMSSE[$best]}" -v b="${RMSSE[$g]}" 'BEGIN { printf "%.3f", a / b }') floor_ratio=$(awk -v a="${RMSSE[$best]}" -v b="$f_rmsse" 'BEGIN { printf "%.3f", a / b }')"
fi
