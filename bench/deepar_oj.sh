#!/usr/bin/env bash
# skucast LSTM/GRU (defaults) vs GluonTS DeepAR and neuralforecast LSTM/DeepAR/NHITS (defaults) on Dominick's orange juice, 913 series (MASE of the median).
#
# Usage: bench/run.sh deepar_oj   (env: BUILD / SKUCAST_BIN, KEEP=dir keeps the files, H=12 held-out
# weeks, CORES=$(nproc) threads for every tool, PEERS="gluonts_deepar nf_lstm nf_deepar nf_nhits",
# PEER_VENV=/tmp/skucast-peers-venv, PEER_MAX_S=900 training budget per peer; side check only:
# NF_SCALER_TYPE=standard gives the neuralforecast models that scaler instead of their default).
# Needs R with bayesm (bench/oj_data.R; apt-get install -y r-cran-bayesm), /usr/bin/python3 with
# pandas (bench/oj_score.py) and, for the peers, network access to PyPI the first time.
#
# Data: bench/oj_data.R — all 913 store x brand weekly series of bayesm::orangeJuice, the last H
# weeks held out (their price, deal and feat are known: the panel's future part); store and brand
# are static categoricals. Models, every one with its DEFAULT settings (only the horizon given):
#   skucast: lstm and gru (`skucast train --model M --horizon H`, then forecast with the default
#            paths, 1,000 for 913 series, and quantiles 0.1, 0.5, 0.9), naive, ets, arimax (--regressors price:log,deal,feat
#            --transform log), and the ensemble gru+arimax (the default GRU's model file with those
#            regressors: the mean of the two models' medians and quantiles, README "Accuracy so far");
#   peers (bench/deepar_oj_peers.py, in a virtualenv under /tmp (bench/peers_venv.bash) with the
#            current PyPI releases of torch (the CPU wheel when download.pytorch.org answers, else
#            PyPI's), neuralforecast and gluonts[torch]; the venv is reused when it exists): GluonTS DeepAREstimator
#            (torch), neuralforecast LSTM, DeepAR and NHITS, with log price, deal and feat as
#            known-future covariates and store, brand as static categorical embeddings (see the
#            peers script for each library's defaults and the one choice made: NHITS input_size).
# A peer that fails to install or run is reported and skipped. Scores: bench/oj_score.py (MASE of
# the mean and of the median q0.5, sMAPE, scaled pinball; mean over series). neuralforecast LSTM and
# NHITS train on their default MAE loss and give one point forecast (the median's estimate): their
# MASE stands in for their MASE(q50).
# RESULT: ratio = best peer's MASE(q50) / the default global model's (gru) MASE(q50) (> 1: skucast
# more accurate); lstm, arimax and gru+arimax beside it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
BIN="${SKUCAST_BIN:-$BUILD/skucast}"
[ -x "$BIN" ] || { echo "deepar_oj: $BIN not built" >&2; exit 2; }
Rscript -e 'suppressMessages(library(bayesm))' > /dev/null 2>&1 ||
  { echo "deepar_oj: needs R with bayesm (apt-get install -y r-cran-bayesm)" >&2; exit 2; }
H=${H:-12}; CORES=${CORES:-$(nproc)}
PEERS=${PEERS:-gluonts_deepar nf_lstm nf_deepar nf_nhits}
PEER_VENV=${PEER_VENV:-/tmp/skucast-peers-venv}
export PEER_MAX_S=${PEER_MAX_S:-900} CORES OMP_NUM_THREADS=$CORES
WORK="${KEEP:-$(mktemp -d /tmp/skucast-bench-deepar-oj.XXXXXX)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
TIMES=()   # "name|train_s|forecast_s"
SCORE_ARGS=()

echo "deepar_oj: skucast $("$BIN" --version 2>&1 | head -n 1) ($BIN), source tree at $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo '?'), $CORES threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
Rscript "$HERE/oj_data.R" "$WORK" "$H"
"$BIN" ingest --csv "$WORK/panel.csv" --dynamic price,deal,feat --static store,brand --freq 1 --season-length 1 \
  --out "$WORK/oj.h5"

# --- skucast: the global models, defaults -------------------------------------------------------
for m in lstm gru; do
  t0=$(now)
  if "$BIN" train --panel "$WORK/oj.h5" --model "$m" --horizon "$H" --out "$WORK/$m.h5" > "$WORK/skucast_$m.train.log" 2>&1; then
    t1=$(now)
    tail -n 1 "$WORK/skucast_$m.train.log"
    if "$BIN" forecast --panel "$WORK/oj.h5" --model "$m" --checkpoint "$WORK/$m.h5" --horizon "$H" --quantiles 0.1,0.5,0.9 \
         --out "$WORK/skucast_$m.h5" --csv "$WORK/skucast_$m.csv" 2> "$WORK/skucast_$m.log"; then
      t2=$(now); TIMES+=("skucast_$m|$(secs "$t0" "$t1")|$(secs "$t1" "$t2")"); SCORE_ARGS+=("skucast_$m=$WORK/skucast_$m.csv")
    else
      echo "deepar_oj: skucast forecast --model $m failed:"; tail -n 5 "$WORK/skucast_$m.log"
    fi
  else
    echo "deepar_oj: skucast train --model $m failed:"; tail -n 5 "$WORK/skucast_$m.train.log"
  fi
done
# --- skucast: statistical models ------------------------------------------------------------------
run_stat() {  # run_stat NAME MODEL [extra flags...]
  local name=$1 model=$2; shift 2
  local t0; t0=$(now)
  if "$BIN" forecast --panel "$WORK/oj.h5" --model "$model" "$@" --horizon "$H" --quantiles 0.1,0.5,0.9 \
       --out "$WORK/$name.h5" --csv "$WORK/$name.csv" 2> "$WORK/$name.log"; then
    TIMES+=("$name|-|$(secs "$t0" "$(now)")"); SCORE_ARGS+=("$name=$WORK/$name.csv")
  else
    echo "deepar_oj: skucast forecast --model $model failed:"; tail -n 5 "$WORK/$name.log"
  fi
}
run_stat skucast_naive naive
run_stat skucast_ets ets
run_stat skucast_arimax arimax --regressors price:log,deal,feat --transform log
[ -f "$WORK/gru.h5" ] && run_stat skucast_gru_arimax gru+arimax --checkpoint "$WORK/gru.h5" \
  --regressors price:log,deal,feat --transform log

# --- peers: a virtualenv with the current PyPI releases ------------------------------------------
RAN_PEERS=(); PY=""
if [ -n "${PEERS// /}" ]; then   # PEERS=" ": skucast's rows only, no venv
  . "$HERE/peers_venv.bash"
  peers_venv deepar_oj "$WORK"   # sets PY; peer_have MODULE
fi
if [ -n "$PY" ] && [ -x "$PY" ]; then
  "$PY" "$HERE/deepar_oj_peers.py" versions || true
  for p in $PEERS; do
    case $p in gluonts_*) mod=gluonts.torch ;; *) mod=neuralforecast ;; esac
    if ! peer_have "$mod"; then echo "deepar_oj: $p skipped: $mod does not import in $PEER_VENV"; continue; fi
    echo "deepar_oj: peer $p ..."
    if "$PY" "$HERE/deepar_oj_peers.py" "$WORK" "$p" "$H" > "$WORK/$p.log" 2>&1; then
      grep -E "^($p:|PEER_TIME)" "$WORK/$p.log" || true
      tr_s=$(sed -n "s/^PEER_TIME $p train_s=\([0-9.]*\) forecast_s=\([0-9.]*\).*/\1|\2/p" "$WORK/$p.log")
      TIMES+=("$p|${tr_s:-?|?}"); SCORE_ARGS+=("$p=$WORK/$p.csv"); RAN_PEERS+=("$p")
    else
      echo "deepar_oj: peer $p failed (log $WORK/$p.log):"; grep -v -i warn "$WORK/$p.log" | tail -n 8
    fi
  done
else
  echo "deepar_oj: no peer python ($PY); peers skipped"
fi

# --- scores ----------------------------------------------------------------------------------------
echo
echo "deepar_oj: $H held-out weeks, scores (mean over series; MASE scaled by the in-sample lag-1 naive MAE):"
/usr/bin/python3 "$HERE/oj_score.py" "$WORK" "${SCORE_ARGS[@]}" | tee "$WORK/scores.txt"
echo
echo "deepar_oj: wall seconds ($CORES threads; skucast lstm/gru: train, then forecast with the default paths (1,000 here); peers: training, then forecast)"
printf "%-28s%10s%12s\n" model train_s forecast_s
for row in "${TIMES[@]}"; do IFS='|' read -r n a b <<< "$row"; printf "%-28s%10s%12s\n" "$n" "$a" "$b"; done
echo

# median figure per model: MASE(q50), or MASE when the model gives only a point forecast
med() { awk -v m="$1" 'NR > 1 && $1 == m { print ($3 == "-" ? $2 : $3) }' "$WORK/scores.txt"; }
lstm=$(med skucast_lstm); lstm=${lstm:-nan}
gru=$(med skucast_gru); gru=${gru:-nan}
arimax=$(med skucast_arimax); arimax=${arimax:-nan}
gru_arimax=$(med skucast_gru_arimax); gru_arimax=${gru_arimax:-nan}
best=none; best_v=nan
for p in "${RAN_PEERS[@]}"; do
  v=$(med "$p"); [ -n "$v" ] || continue
  if [ "$best" = none ] || awk -v a="$v" -v b="$best_v" 'BEGIN { exit !(a < b) }'; then best=$p; best_v=$v; fi
done
for p in "${RAN_PEERS[@]}"; do
  awk -v m="$p" 'NR > 1 && $1 == m && $3 == "-" { f = 1 } END { exit !f }' "$WORK/scores.txt" &&
    echo "deepar_oj: $p gives a point forecast only (MAE loss): its MASE stands for its MASE(q50)"
done
ratio=$(awk -v a="$best_v" -v b="$gru" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b }')
echo "RESULT deepar_oj gru_mase_q50=$gru lstm_mase_q50=$lstm arimax_mase_q50=$arimax gru_arimax_mase_q50=$gru_arimax best_peer=$best best_peer_mase_q50=$best_v ratio=$ratio"
