#!/usr/bin/env bash
# Conformal intervals: coverage of the nominal 80 %/95 % intervals and pinball loss, model's own vs --intervals conformal, on held-out data (M3 test periods, a synthetic catalog's last 28 days).
#
# Usage: bench/run.sh calibration   (env: BUILD; MODELS="ets theta" for M3, SYNTH_MODELS="ets tsb";
# SYNTH_SERIES=1000 SYNTH_DAYS=700; FOLDS=5 calibration folds; KEEP=dir keeps the files).
# The held-out periods come after the forecast origin: the calibration folds (all before the
# origin) never see them. M3: the competition's train/test split, every series ending at one
# origin. Synthetic: `skucast synth`, the last 28 days held out. The peer (statsforecast's
# ConformalIntervals) is not run yet: its figures print as nan.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
DATA="$HERE/calibration_data.py"
MODELS=${MODELS:-"ets theta"}; SYNTH_MODELS=${SYNTH_MODELS:-"ets tsb"}
FOLDS=${FOLDS:-5}
Q=0.025,0.1,0.5,0.9,0.975
results=()   # "dataset model intervals cov80 cov95 pinball seconds"

# run_one NAME MODEL H PANEL TRAIN TEST: forecasts with the model's and the conformal intervals, scores both.
run_one() {
  local name=$1 model=$2 h=$3 panel=$4 train=$5 test=$6
  for iv in model conformal; do
    local extra=(); [ "$iv" = conformal ] && extra=(--intervals conformal --calibration-folds "$FOLDS")
    local t0; t0=$(date +%s.%N)
    "$BIN" forecast --panel "$panel" --model "$model" --horizon "$h" --quantiles $Q "${extra[@]}" \
      --out "$WORK/fc.h5" --csv "$WORK/$name.$model.$iv.csv" 2> "$WORK/log.txt" || { cat "$WORK/log.txt" >&2; exit 1; }
    local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    local s; s=$("$PY" "$DATA" score "$train" "$test" "$WORK/$name.$model.$iv.csv")
    echo "calibration: $name $model $iv: $s seconds=$secs"
    results+=("$name $model $iv $(echo "$s" | sed 's/[a-z0-9]*=//g') $secs")
  done
}

echo "calibration: M3 (yearly, quarterly, monthly; the competition's test periods held out), $FOLDS folds"
"$PY" "$DATA" m3 "$HERE/data/m3_ymq.csv.gz" "$WORK"
for period in yearly quarterly monthly; do
  # shellcheck disable=SC1090
  . "$WORK/m3_$period.env"
  "$BIN" ingest --csv "$WORK/m3_${period}_train.csv" --freq 1 --season-length "$M" --allow-long-axis \
    --out "$WORK/m3_$period.h5" > /dev/null 2>&1
  for model in $MODELS; do
    run_one "m3_$period" "$model" "$H" "$WORK/m3_$period.h5" "$WORK/m3_${period}_train.csv" "$WORK/m3_${period}_test.csv"
  done
done

NS=${SYNTH_SERIES:-1000}; ND=${SYNTH_DAYS:-700}
echo "calibration: synthetic catalog, $NS series x $ND days, the last 28 held out"
"$BIN" synth --series "$NS" --days "$ND" --seed 11 --out "$WORK/synth_full.h5" > /dev/null 2>&1
"$BIN" export "$WORK/synth_full.h5" --csv "$WORK/synth_full.csv" > /dev/null 2>&1
"$PY" "$DATA" split "$WORK/synth_full.csv" 28 "$WORK" synth
"$BIN" ingest --csv "$WORK/synth_train.csv" --freq D --season-length 7 --out "$WORK/synth.h5" > /dev/null 2>&1
for model in $SYNTH_MODELS; do
  run_one synth "$model" 28 "$WORK/synth.h5" "$WORK/synth_train.csv" "$WORK/synth_test.csv"
done

printf '%s\n' "${results[@]}" | awk '
  { gap80[$3] += ($4 > 0.8 ? $4 - 0.8 : 0.8 - $4); gap95[$3] += ($5 > 0.95 ? $5 - 0.95 : 0.95 - $5); n[$3]++
    pin[$3] += $6; key = $1 "_" $2; if ($3 == "model") { m80[key] = $4; m95[key] = $5 } else { c80[key] = $4; c95[key] = $5 } }
  END {
    printf "RESULT calibration"
    for (k in c80) printf " %s_cov80=%s->%s %s_cov95=%s->%s", k, m80[k], c80[k], k, m95[k], c95[k]
    gm = gap80["model"] / n["model"]; gc = gap80["conformal"] / n["conformal"]
    printf " mean_gap80_model=%.4f mean_gap80_conformal=%.4f mean_gap95_model=%.4f mean_gap95_conformal=%.4f", gm, gc, gap95["model"] / n["model"], gap95["conformal"] / n["conformal"]
    printf " pinball_model=%.4f pinball_conformal=%.4f statsforecast_cov80=nan ratio=%.3g\n", pin["model"] / n["model"], pin["conformal"] / n["conformal"], (gc > 0 ? gm / gc : 0)
  }'
