#!/usr/bin/env bash
# forecast --model auto and --combine weighted: held-out MASE of the per-series choice and of the inverse-error-weighted ensemble against each single candidate and the plain mean ensemble (M3 test periods, a synthetic catalog's last 28 days).
#
# Usage: bench/run.sh auto   (env: BUILD; CANDIDATES="ets,theta,tsb,snaive"; SYNTH_SERIES=1000
# SYNTH_DAYS=700; AUTO_RUNS="lowest:1 top2": auto runs once per entry, RULE:MARGIN for
# --select-rule lowest --select-margin MARGIN (lowest:0 is the plain per-series lowest error of the
# first version, Note [Choice against the catalog's best]; lowest:1 gives every series the one
# candidate best over the catalog on the selection folds: the single model a user would pick from
# the same folds) or top2 (the default rule, Note [Top-k inverse-error weights], Note [Errors
# shrunk towards the catalog]); KEEP=dir keeps the files). The ratios use the last entry.
# The held-out periods come after the forecast origin:
# the selection folds (all before it) never see them. Two ratios per set: `ratio` against the
# best single model read off the held-out scores (an oracle no run has, a strict test), and
# `fold_ratio` against lowest:1's held-out MASE (issue 18's comparison: the best single model
# chosen on the same folds; only when lowest:1 is among AUTO_RUNS). Peer: none yet (statsforecast
# has no per-series choice of its own).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
DATA="$HERE/calibration_data.py"
CANDIDATES=${CANDIDATES:-"ets,theta,tsb,snaive"}
AUTO_RUNS=${AUTO_RUNS:-"lowest:1 top2"}
auto_specs=(); for run in $AUTO_RUNS; do auto_specs+=("auto:$CANDIDATES@$run"); done
summary=()

# run_set NAME H M PANEL TRAIN TEST: each candidate alone, then auto; prints MASE and time.
run_set() {
  local name=$1 h=$2 m=$3 panel=$4 train=$5 test=$6 best=inf best_model="" line fold_single=""
  for spec in ${CANDIDATES//,/ } "${auto_specs[@]}" "${CANDIDATES//,/+}:mean" "${CANDIDATES//,/+}:weighted"; do
    local model=${spec%:mean}; model=${model%:weighted}; model=${model%@*}; local extra=()
    case $spec in *:mean) extra=(--combine mean) ;; *:weighted) extra=(--combine weighted) ;;
      auto:*@lowest:*) extra=(--select-rule lowest --select-margin "${spec##*:}") ;;
      auto:*@top2) extra=(--select-rule top2) ;; esac
    local t0; t0=$(date +%s.%N)
    "$BIN" forecast --panel "$panel" --model "$model" "${extra[@]}" --horizon "$h" --quantiles 0.025,0.1,0.5,0.9,0.975 \
      --out "$WORK/fc.h5" --csv "$WORK/fc.csv" 2> "$WORK/log.txt" || { cat "$WORK/log.txt" >&2; exit 1; }
    local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    line=$("$PY" "$DATA" score "$train" "$test" "$WORK/fc.csv" "$m")
    local mase; mase=$(echo "$line" | sed 's/.*mase=//')
    echo "auto: $name $spec: $line seconds=$secs"
    case $spec in
      auto:*)
        grep -h "auto: " "$WORK/log.txt" | sed 's/^skucast: /  /'
        local run=${spec##*@}
        summary+=("${name}_auto_${run/:/}_mase=$mase")
        [ "$run" = "lowest:1" ] && fold_single=$mase
        last_auto=$mase ;;
      *:mean)
        summary+=("${name}_best_single=$best_model:$best")
        ratios+=("$(awk -v a="$last_auto" -v b="$best" 'BEGIN { printf "%.4f", b / a }')")
        if [ -n "$fold_single" ]; then
          fold_ratios+=("$(awk -v a="$last_auto" -v b="$fold_single" 'BEGIN { printf "%.4f", b / a }')")
          summary+=("${name}_fold_ratio=${fold_ratios[-1]}")
        fi
        summary+=("${name}_mean_ensemble_mase=$mase") ;;
      *:weighted)
        grep -h "weighted: " "$WORK/log.txt" | sed 's/^skucast: /  /'
        summary+=("${name}_weighted_mase=$mase") ;;
      *) if awk -v a="$mase" -v b="$best" 'BEGIN { exit !(b == "inf" || a < b) }'; then best=$mase; best_model=$model; fi ;;
    esac
  done
}
ratios=(); fold_ratios=()

"$PY" "$DATA" m3 "$HERE/data/m3_ymq.csv.gz" "$WORK"
for period in yearly quarterly monthly; do
  # shellcheck disable=SC1090
  . "$WORK/m3_$period.env"
  "$BIN" ingest --csv "$WORK/m3_${period}_train.csv" --freq 1 --season-length "$M" --allow-long-axis \
    --out "$WORK/m3_$period.h5" > /dev/null 2>&1
  run_set "m3_$period" "$H" "$M" "$WORK/m3_$period.h5" "$WORK/m3_${period}_train.csv" "$WORK/m3_${period}_test.csv"
done
NS=${SYNTH_SERIES:-1000}; ND=${SYNTH_DAYS:-700}
"$BIN" synth --series "$NS" --days "$ND" --seed 11 --out "$WORK/synth_full.h5" > /dev/null 2>&1
"$BIN" export "$WORK/synth_full.h5" --csv "$WORK/synth_full.csv" > /dev/null 2>&1
"$PY" "$DATA" split "$WORK/synth_full.csv" 28 "$WORK" synth
"$BIN" ingest --csv "$WORK/synth_train.csv" --freq D --season-length 7 --out "$WORK/synth.h5" > /dev/null 2>&1
run_set synth 28 7 "$WORK/synth.h5" "$WORK/synth_train.csv" "$WORK/synth_test.csv"
worst=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
fold_worst=$( [ ${#fold_ratios[@]} -gt 0 ] && printf '%s\n' "${fold_ratios[@]}" | sort -g | head -1 || echo n/a)
echo "RESULT auto ${summary[*]} fold_ratio=$fold_worst ratio=$worst"
