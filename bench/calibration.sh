#!/usr/bin/env bash
# Conformal intervals: coverage of the nominal 80 %/95 % intervals and pinball loss, model's own vs --intervals conformal, on held-out data (M3 test periods, Dominick's orange juice's last 12 weeks, a synthetic catalog's last 28 days).
#
# Usage: bench/run.sh calibration   (env: BUILD; MODELS="ets theta arima" for M3, SYNTH_MODELS="ets tsb",
# OJ_MODELS="ets theta arima" for Dominick's orange juice (OJ=0 skips it; needs R with bayesm:
# bench/oj_data.R, the split every orange-juice benchmark uses, the last 12 weeks held out, --freq 1);
# ARIMA_MONTHLY=0: arima is left out on M3 monthly, its longest part (=1 runs it);
# SCORES="raw": the --conformal-score values run; `raw` runs the default rule and is labelled
# conformal (raw for the statistical models; scaled for the global model, Note [Global model
# calibration]), any other conformal_<score> (SCORES="raw scaled signed" also runs the scaled score and the signed one);
# SYNTH_SERIES=1000 SYNTH_DAYS=700; FOLDS=5 calibration folds; CONFORMAL_ARGS: more options for
# every conformal run (e.g. "--conformal-pool series", Note [Conformal series-balanced pools]); GLOBAL_MODEL=gru: also trains the
# global model on the synthetic catalog with --val-steps 84 (3 folds of 28 after its training end,
# Note [Global model calibration]) and scores its sample-path quantiles against its conformal
# ones, and likewise on orange juice with --val-steps 36 (3 folds of 12 weeks); GLOBAL_MODEL=none
# skips both; KEEP=dir keeps the files).
# The held-out periods come after the forecast origin: the calibration folds (all before the
# origin) never see them. M3: the competition's train/test split, every series ending at one
# origin. Synthetic: `skucast synth`, the last 28 days held out. The peer: statsforecast's own
# conformal intervals (ConformalIntervals, n_windows = FOLDS, AutoETS / AutoTheta / AutoARIMA; bench/
# calibration_peer.py; AutoARIMA took 183 s on M3 yearly) on the M3 periods in PEER_PERIODS (default "yearly": its ETS refits every
# window, about 6 fits a series at its 3 quarterly series/s, so quarterly and monthly take hours
# on 2 cores); PEER=0 skips it. It runs in a venv (PEER_VENV, default /tmp/skucast-cal-venv; made
# with statsforecast 2.1.1 from PyPI when missing). The ratio: the peer's mean |coverage − 80 %|
# over the runs both made ÷ skucast conformal's (> 1: skucast closer to nominal).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
DATA="$HERE/calibration_data.py"
MODELS=${MODELS:-"ets theta arima"}; SYNTH_MODELS=${SYNTH_MODELS:-"ets tsb"}
ARIMA_MONTHLY=${ARIMA_MONTHLY:-0}
OJ=${OJ:-1}; OJ_MODELS=${OJ_MODELS:-"ets theta arima"}; SCORES=${SCORES:-raw}
FOLDS=${FOLDS:-5}
PEER=${PEER:-1}; PEER_PERIODS=${PEER_PERIODS:-yearly}; VENV=${PEER_VENV:-/tmp/skucast-cal-venv}
if [ "$PEER" != 0 ] && ! "$VENV/bin/python" -c "import statsforecast" 2> /dev/null; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "statsforecast==2.1.1"
fi
Q=0.025,0.1,0.5,0.9,0.975
results=()   # "dataset model intervals cov80 cov95 pinball seconds"

# run_one NAME MODEL H PANEL TRAIN TEST [ARGS...]: forecasts with the model's and the conformal
# intervals (ARGS: more forecast options, e.g. --checkpoint; FOLDS=0: the default folds), scores both.
run_one() {
  local name=$1 model=$2 h=$3 panel=$4 train=$5 test=$6; shift 6
  local ivs=(model) sc
  for sc in $SCORES; do [ "$sc" = raw ] && ivs+=(conformal) || ivs+=("conformal_$sc"); done
  for iv in "${ivs[@]}"; do
    local extra=("$@")
    if [ "$iv" != model ]; then
      extra+=(--intervals conformal)
      [ "$iv" = conformal ] || extra+=(--conformal-score "${iv#conformal_}")
      [ "$FOLDS" != 0 ] && extra+=(--calibration-folds "$FOLDS")
      # shellcheck disable=SC2206
      [ -n "${CONFORMAL_ARGS:-}" ] && extra+=($CONFORMAL_ARGS)
    fi
    local t0; t0=$(date +%s.%N)
    "$BIN" forecast --panel "$panel" --model "$model" --horizon "$h" --quantiles $Q "${extra[@]}" \
      --out "$WORK/fc.h5" --csv "$WORK/$name.$model.$iv.csv" 2> "$WORK/log.txt" || { cat "$WORK/log.txt" >&2; exit 1; }
    local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    local s; s=$("$PY" "$DATA" score "$train" "$test" "$WORK/$name.$model.$iv.csv")
    echo "calibration: $name $model $iv: $s seconds=$secs"
    results+=("$name $model $iv $(echo "$s" | sed 's/[a-z0-9]*=//g') $secs")
  done
}

# run_global NAME H PANEL TRAIN TEST: the global model trained with its defaults but --val-steps 3H
# (3 folds of H after its training end for the conformal scores, Note [Global model
# calibration]), scored with its sample paths' quantiles and with conformal ones.
GLOBAL_MODEL=${GLOBAL_MODEL:-gru}
run_global() {
  local name=$1 h=$2 panel=$3 train=$4 test=$5 t0
  t0=$(date +%s.%N)
  "$BIN" train --panel "$panel" --model "$GLOBAL_MODEL" --horizon "$h" --val-steps $((3 * h)) --seed 0 \
    --out "$WORK/${name}_global.h5" > "$WORK/${name}_train.log" 2>&1 || { cat "$WORK/${name}_train.log" >&2; exit 1; }
  echo "calibration: $name $GLOBAL_MODEL trained in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s (defaults, --val-steps $((3 * h)))"
  FOLDS=0 run_one "$name" "$GLOBAL_MODEL" "$h" "$panel" "$train" "$test" --checkpoint "$WORK/${name}_global.h5"
  grep -h "conformal intervals" "$WORK/log.txt" | sed 's/^skucast: /  /'
}

# run_peer NAME MODEL H M TRAIN TEST: statsforecast's ConformalIntervals on the same split.
run_peer() {
  local name=$1 model=$2 h=$3 m=$4 train=$5 test=$6 out="$WORK/$1.$2.statsforecast.csv"
  local p; p=$("$VENV/bin/python" "$HERE/calibration_peer.py" "$train" "$h" "$m" "$model" "$FOLDS" "$out" 2> "$WORK/peer.log") \
    || { cat "$WORK/peer.log" >&2; exit 1; }
  local s; s=$("$PY" "$DATA" score "$train" "$test" "$out")
  echo "calibration: $name $model statsforecast: $s $p"
  local secs; secs=$(echo "$p" | sed 's/.*seconds=\([0-9.]*\).*/\1/')
  results+=("$name $model statsforecast $(echo "$s" | sed 's/[a-z0-9]*=//g') $secs")
}

echo "calibration: M3 (yearly, quarterly, monthly; the competition's test periods held out), $FOLDS folds"
"$PY" "$DATA" m3 "$HERE/data/m3_ymq.csv.gz" "$WORK"
for period in yearly quarterly monthly; do
  # shellcheck disable=SC1090
  . "$WORK/m3_$period.env"
  "$BIN" ingest --csv "$WORK/m3_${period}_train.csv" --freq 1 --season-length "$M" --allow-long-axis \
    --out "$WORK/m3_$period.h5" > /dev/null 2>&1
  for model in $MODELS; do
    if [ "$model" = arima ] && [ "$period" = monthly ] && [ "$ARIMA_MONTHLY" = 0 ]; then
      echo "calibration: m3_monthly arima skipped (ARIMA_MONTHLY=1 runs it: about 1 min for its own quantiles, 4 min conformal, on 2 busy cores)"
      continue
    fi
    run_one "m3_$period" "$model" "$H" "$WORK/m3_$period.h5" "$WORK/m3_${period}_train.csv" "$WORK/m3_${period}_test.csv"
    if [ "$PEER" != 0 ] && [[ " $PEER_PERIODS " == *" $period "* ]]; then
      run_peer "m3_$period" "$model" "$H" "$M" "$WORK/m3_${period}_train.csv" "$WORK/m3_${period}_test.csv"
    fi
  done
done

if [ "$OJ" != 0 ]; then
  if Rscript -e 'suppressMessages(library(bayesm))' > /dev/null 2>&1; then
    echo "calibration: Dominick's orange juice (913 store x brand weekly series, bench/oj_data.R), the last 12 weeks held out"
    mkdir -p "$WORK/oj"
    Rscript "$HERE/oj_data.R" "$WORK/oj" 12
    "$BIN" ingest --csv "$WORK/oj/panel.csv" --dynamic price,deal,feat --static store,brand --freq 1 --season-length 1 \
      --out "$WORK/oj.h5" > /dev/null 2>&1
    for model in $OJ_MODELS; do
      run_one oj "$model" 12 "$WORK/oj.h5" "$WORK/oj/panel.csv" "$WORK/oj/actual.csv"
    done
    if [ "$GLOBAL_MODEL" != none ]; then run_global oj 12 "$WORK/oj.h5" "$WORK/oj/panel.csv" "$WORK/oj/actual.csv"; fi
  else
    echo "calibration: orange juice skipped: needs R with bayesm (apt-get install -y r-cran-bayesm)"
  fi
fi

NS=${SYNTH_SERIES:-1000}; ND=${SYNTH_DAYS:-700}
echo "calibration: synthetic catalog, $NS series x $ND days, the last 28 held out"
"$BIN" synth --series "$NS" --days "$ND" --seed 11 --out "$WORK/synth_full.h5" > /dev/null 2>&1
"$BIN" export "$WORK/synth_full.h5" --csv "$WORK/synth_full.csv" > /dev/null 2>&1
"$PY" "$DATA" split "$WORK/synth_full.csv" 28 "$WORK" synth
# The panel keeps the catalog's covariates, known over the held-out days (the conformal event
# classes of the statistical models read `promo` there; the global model trains on them).
"$BIN" ingest --csv "$WORK/synth_panel.csv" --dynamic price,promo,snap_CA,snap_TX,snap_WI \
  --static cat,dept,item,state,store --weight-col weight --events auto --freq D --season-length 7 \
  --out "$WORK/synth.h5" > /dev/null 2>&1
for model in $SYNTH_MODELS; do
  run_one synth "$model" 28 "$WORK/synth.h5" "$WORK/synth_train.csv" "$WORK/synth_test.csv"
done
if [ "$GLOBAL_MODEL" != none ]; then run_global synth 28 "$WORK/synth.h5" "$WORK/synth_train.csv" "$WORK/synth_test.csv"; fi

printf '%s\n' "${results[@]}" | awk '
  function gap(c, nominal) { return c > nominal ? c - nominal : nominal - c }
  { gap80[$3] += gap($4, 0.8); gap95[$3] += gap($5, 0.95); n[$3]++
    pin[$3] += $6; key = $1 "_" $2
    if ($3 == "model") { m80[key] = $4; m95[key] = $5; m_pin[key] = $6 }
    else if ($3 == "conformal") { c80[key] = $4; c95[key] = $5; c_secs[key] = $8; c_pin[key] = $6 }
    else if ($3 == "statsforecast") { p80[key] = $4; p95[key] = $5; p_pin[key] = $6; p_secs[key] = $8 } }
  END {
    printf "RESULT calibration"
    for (k in c80) printf " %s_cov80=%s->%s %s_cov95=%s->%s %s_pinball=%s->%s", k, m80[k], c80[k], k, m95[k], c95[k], k, m_pin[k], c_pin[k]
    for (iv in n) if (iv != "statsforecast")
      printf " mean_gap80_%s=%.4f mean_gap95_%s=%.4f pinball_%s=%.4f", iv, gap80[iv] / n[iv], iv, gap95[iv] / n[iv], iv, pin[iv] / n[iv]
    gm = gap80["model"] / n["model"]; gc = gap80["conformal"] / n["conformal"]
    np = 0; sp = 0; sc = 0
    for (k in p80) {
      printf " %s_statsforecast_cov80=%s_cov95=%s_pinball=%s_s=%s skucast_conformal_pinball=%s_s=%s", k, p80[k], p95[k], p_pin[k], p_secs[k], c_pin[k], c_secs[k]
      sp += gap(p80[k], 0.8); sc += gap(c80[k], 0.8); np++
    }
    if (np > 0) printf " ratio=%.3g\n", (sc > 0 ? sp / sc : 0)
    else printf " statsforecast=not_run ratio=%.3g\n", (gc > 0 ? gm / gc : 0)
  }'
