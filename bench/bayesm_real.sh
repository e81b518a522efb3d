#!/usr/bin/env bash
# skucast GRU (defaults, seeds 0 and 1) vs its statistical models on two more real retail panels, bayesm's tuna and cheese (MASE of the median).
#
# Usage: bench/run.sh bayesm_real   (env: BUILD / SKUCAST_BIN, KEEP=dir keeps the files, H=12 held-out
# weeks, SEEDS="0 1" training seeds of the GRU, DATASETS="tuna tuna_early cheese", CORES=$(nproc)
# threads). Needs R with bayesm (bench/bayesm_data.R; apt-get install -y r-cran-bayesm) and
# /usr/bin/python3 with pandas (bench/oj_score.py).
#
# Data: bench/bayesm_data.R (its header has the columns, the split and how cheese's week is
# derived), the last H weeks of each panel held out with their covariates known (the panel's
# future part), as bench/oj_data.R does for orange juice (bench/deepar_oj.sh):
#   tuna        7 canned-tuna UPCs, Dominick's chain level, weeks 1..383, held out 384..395 (6 weeks
#               with a record; the cut moves back from week 386 to the last week with a record,
#               skucast's forecast origin); covariates price (exp LPRICE) and nsale (display).
#   tuna_early  the same 7 series, history 1..319, held out 320..331 (the 12 weeks before the
#               40-week gap in the data, all with a record): a second look at the same panel.
#   cheese      Borden sliced cheese at 88 retailers, derived weeks 1..49, held out 50..61 (all
#               observed); covariates price and disp (display); static market and retailer.
# Models, each with its DEFAULT settings (only the horizon given):
#   gru         `skucast train --horizon H --seed S` (the default model, gru), then `skucast forecast
#               --model gru --checkpoint` (default paths and quantiles 0.1, 0.5, 0.9), per seed;
#               the GRU's figure is the mean of the seeds' scores;
#   arimax      --regressors price:log,<display> --transform log; ets, theta, naive;
#   gru+arimax  the ensemble (the mean of the two models' medians and quantiles), per seed.
# Scores: bench/oj_score.py (MASE of the mean and of the median q0.5 scaled by the in-sample lag-1
# naive MAE, sMAPE, scaled pinball; mean over series); rows gru_mean and gru_arimax_mean are the
# means of the seeds' rows. Each forecast's weeks are checked against the held-out weeks.
# RESULT: per data set the MASE(q50) of every model and <set>_ratio = the best statistical model's
# (naive, ets, theta, arimax) MASE(q50) / the GRU's (> 1: the global model more accurate);
# ratio = the geometric mean of tuna_ratio and cheese_ratio (tuna_early is a side figure).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
BIN="${SKUCAST_BIN:-$BUILD/skucast}"
[ -x "$BIN" ] || { echo "bayesm_real: $BIN not built" >&2; exit 2; }
Rscript -e 'suppressMessages(library(bayesm))' > /dev/null 2>&1 ||
  { echo "bayesm_real: needs R with bayesm (apt-get install -y r-cran-bayesm)" >&2; exit 2; }
H=${H:-12}; CORES=${CORES:-$(nproc)}; SEEDS=${SEEDS:-0 1}
DATASETS=${DATASETS:-tuna tuna_early cheese}
export OMP_NUM_THREADS=$CORES
WORK="${KEEP:-$(mktemp -d /tmp/skucast-bench-bayesm-real.XXXXXX)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T_START=$(now)
BIN_SUM=$(md5sum < "$BIN")   # a binary rebuilt during the run mixes two builds (their model files may not load)

echo "bayesm_real: skucast $("$BIN" --version 2>&1 | head -n 1) ($BIN), source tree at $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo '?'), $CORES threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
Rscript "$HERE/bayesm_data.R" "$WORK" "$H"

# check_weeks DIR FORECAST_CSV: every held-out (series, step) of actual.csv is in the forecast at the same week
check_weeks() {
  awk -F, 'FNR == 1 { f++; next } f == 1 { t[$1 "|" $3] = $2; next }
    { k = $1 "|" $3; if (!(k in t)) { print "no forecast for " $1 " step " $3; bad = 1; exit }
      if (t[k] != $2) { print "step " $3 " of " $1 " is week " t[k] " in the forecast, week " $2 " in actual.csv"; bad = 1; exit } }
    END { exit bad }' "$2" "$1/actual.csv"
}

RESULT=()
for ds in $DATASETS; do
  D="$WORK/$ds"; TIMES=(); SCORE_ARGS=()
  case $ds in
    tuna*) dyn=price,nsale; sta=brand; regs=price:log,nsale ;;
    cheese) dyn=price,disp; sta=market,retailer; regs=price:log,disp ;;
    *) echo "bayesm_real: unknown data set $ds" >&2; exit 2 ;;
  esac
  echo
  echo "=== $ds ==="
  "$BIN" ingest --csv "$D/panel.csv" --dynamic "$dyn" --static "$sta" --freq 1 --season-length 1 --out "$D/panel.h5"
  "$BIN" info "$D/panel.h5" | sed -n '2,5p'

  add() {  # add NAME: a forecast that ran; checked, then scored
    if check_weeks "$D" "$D/$1.csv"; then SCORE_ARGS+=("$1=$D/$1.csv")
    else echo "bayesm_real: $ds $1: the forecast's weeks are not the held-out weeks; not scored"; fi
  }
  run_fc() {  # run_fc NAME TRAIN_S [forecast flags...]
    local name=$1 tr=$2; shift 2
    local t0; t0=$(now)
    if "$BIN" forecast --panel "$D/panel.h5" "$@" --horizon "$H" --quantiles 0.1,0.5,0.9 \
         --out "$D/$name.h5" --csv "$D/$name.csv" 2> "$D/$name.log"; then
      TIMES+=("$name|$tr|$(secs "$t0" "$(now)")"); add "$name"
      grep -v -E '^skucast: forecast .* series × ' "$D/$name.log" | sed "s/^/  [$name] /" || true
    else
      echo "bayesm_real: $ds forecast $name failed:"; tail -n 5 "$D/$name.log"
    fi
  }

  # --- the global model, defaults (one per seed) ---
  GRU_OK=()
  for s in $SEEDS; do
    t0=$(now)
    if "$BIN" train --panel "$D/panel.h5" --horizon "$H" --seed "$s" --out "$D/model_gru_s$s.h5" > "$D/gru_s$s.train.log" 2>&1; then
      tr=$(secs "$t0" "$(now)")
      grep -E 'from the panel|inputs per step|epoch\(s\)|warn|note' "$D/gru_s$s.train.log" | sed "s/^/  [gru_s$s] /" || true
      run_fc "gru_s$s" "$tr" --model gru --checkpoint "$D/model_gru_s$s.h5"
      GRU_OK+=("$s")
    else
      echo "bayesm_real: $ds train --seed $s failed:"; tail -n 5 "$D/gru_s$s.train.log"
    fi
  done
  # --- statistical models, defaults ---
  run_fc naive - --model naive
  run_fc ets - --model ets
  run_fc theta - --model theta
  run_fc arimax - --model arimax --regressors "$regs" --transform log
  for s in "${GRU_OK[@]}"; do
    run_fc "gru_arimax_s$s" - --model gru+arimax --checkpoint "$D/model_gru_s$s.h5" --regressors "$regs" --transform log
  done

  echo
  echo "bayesm_real: $ds, $H held-out weeks, scores (mean over series; MASE scaled by the in-sample lag-1 naive MAE):"
  /usr/bin/python3 "$HERE/oj_score.py" "$D" "${SCORE_ARGS[@]}" > "$D/scores_models.txt"
  # the seeds' means, as rows of the same table
  awk 'NR == 1 { print; next } { print }
    $1 ~ /^gru_s[0-9]+$/ { n1++; for (i = 2; i <= 6; i++) a[i] += $i }
    $1 ~ /^gru_arimax_s[0-9]+$/ { n2++; for (i = 2; i <= 6; i++) b[i] += $i; ser = $6 }
    END { if (n1) printf "%-28s%8.4f%11.4f%9.4f %11.4f%8d\n", "gru_mean", a[2]/n1, a[3]/n1, a[4]/n1, a[5]/n1, a[6]/n1
          if (n2) printf "%-28s%8.4f%11.4f%9.4f %11.4f%8d\n", "gru_arimax_mean", b[2]/n2, b[3]/n2, b[4]/n2, b[5]/n2, b[6]/n2 }' \
    "$D/scores_models.txt" | tee "$D/scores.txt"
  echo
  echo "bayesm_real: $ds wall seconds ($CORES threads; gru: train, then forecast)"
  printf "%-28s%10s%12s\n" model train_s forecast_s
  for row in "${TIMES[@]}"; do IFS='|' read -r n a b <<< "$row"; printf "%-28s%10s%12s\n" "$n" "$a" "$b"; done

  med() { awk -v m="$1" 'NR > 1 && $1 == m { print $3 }' "$D/scores.txt"; }
  best=none; best_v=nan
  for m in naive ets theta arimax; do
    v=$(med "$m"); [ -n "$v" ] || continue
    if [ "$best" = none ] || awk -v a="$v" -v b="$best_v" 'BEGIN { exit !(a < b) }'; then best=$m; best_v=$v; fi
  done
  gru=$(med gru_mean); gru=${gru:-nan}
  r=$(awk -v a="$best_v" -v b="$gru" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b }')
  RESULT+=("${ds}_gru_mase_q50=$gru")
  for s in "${GRU_OK[@]}"; do v=$(med "gru_s$s"); RESULT+=("${ds}_gru_s${s}_mase_q50=${v:-nan}"); done
  for m in arimax ets theta naive gru_arimax_mean; do v=$(med "$m"); RESULT+=("${ds}_${m%_mean}_mase_q50=${v:-nan}"); done
  RESULT+=("${ds}_best_stat=$best" "${ds}_ratio=$r")
  eval "RATIO_$ds=$r"
done

echo
[ "$(md5sum < "$BIN")" = "$BIN_SUM" ] ||
  echo "bayesm_real: WARNING: $BIN changed during the run; the figures mix two builds (rerun, or run a copy of the binary)"
echo "bayesm_real: total wall $(secs "$T_START" "$(now)") s"
ratio=$(awk -v a="${RATIO_tuna:-nan}" -v b="${RATIO_cheese:-nan}" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.3f", sqrt(a * b) }')
echo "RESULT bayesm_real ${RESULT[*]} ratio=$ratio"
