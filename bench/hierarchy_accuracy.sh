#!/usr/bin/env bash
# Forecast accuracy by hierarchy level (M5 WRMSSE per level): base forecasts vs bu, ols and mint_shrink reconciliation, synthetic M5 catalog and Dominick's orange juice.
#
# Usage: bench/run.sh hierarchy_accuracy   (env: BUILD; SERIES=3000 bottom series and DAYS=730
# of the synthetic catalog (`skucast synth --seed 23`, M5's levels); FOLDS=2 rolling origins
# of 28 days; OJ=1 to run the orange-juice part (needs R with bayesm: apt-get install -y
# r-cran-bayesm), OJ_FOLDS=2 origins of 12 weeks; LSTM=1 adds the global lstm model on both
# (`backtest`'s defaults: trained afresh per fold, 10 epochs; reconciled by bu and ols only: it
# has no in-sample residuals for mint_shrink);
# KEEP=dir keeps the files).
# What runs is the command users run: `skucast backtest --levels --reconcile bu,ols,mint_shrink`
# on the panel `skucast aggregate` writes (Note [Scoring by level], Note [Reconciled folds] in
# engine/eval/backtest.h). Orange juice: bench/oj_data.R with no held-out weeks (the backtest's
# last origin is the same split as the other orange-juice benchmarks: the last 12 weeks), all
# 913 store × brand series, levels total;store;brand (the bottom level is store × brand),
# weekly, season length 1; WRMSSE weights are dollar sales (units × the brand's price) over
# the 28 weeks before each origin.
# Peer: none runs here — the reconciliations themselves match hierarchicalforecast 1.5.3 to
# 1e-8 (tests/eval/test_reconcile.cpp, bench/run.sh hierarchy); this measures what they do to
# accuracy. RESULT ratio = base WRMSSE (all levels) ÷ mint_shrink's on the synthetic catalog
# (> 1: reconciliation helps).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SK="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
SERIES=${SERIES:-3000}; DAYS=${DAYS:-730}; FOLDS=${FOLDS:-2}; OJ=${OJ:-1}; OJ_FOLDS=${OJ_FOLDS:-2}; LSTM=${LSTM:-0}
METHODS=bu,ols,mint_shrink

# level_table CSV [CSV...] — level × model WRMSSE from backtest --level-csv files (rows "all" last).
level_table() {
  awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { key = $1; if (!(key in seen)) { seen[key] = 1; order[++nl] = key; n[key] = $2 }
      if (!($3 in mseen)) { mseen[$3] = 1; models[++nm] = $3 }
      w[key, $3] = $col["wrmsse"] }
    END { printf "%-12s %7s", "level", "series"; for (m = 1; m <= nm; m++) printf " %18s", models[m]; printf "\n"
          for (l = 1; l <= nl; l++) { printf "%-12s %7s", order[l], n[order[l]]
            for (m = 1; m <= nm; m++) printf " %18s", ((order[l], models[m]) in w) ? sprintf("%.4f", w[order[l], models[m]]) : "-"
            printf "\n" } }' "$@"
}
# overall CSV MODEL — the all-levels WRMSSE of MODEL
overall() { awk -F, -v m="$2" 'FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $1 == "all" && $3 == m { print $col["wrmsse"] }' "$1"; }
timed_backtest() {  # timed_backtest LOG ARGS... — the backtest, its wall time on the last line of LOG
  local log=$1; shift
  local t0; t0=$(date +%s.%N)
  "$SK" backtest "$@" > "$log"
  echo "seconds $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" >> "$log"
}

echo "hierarchy_accuracy: synth --series $SERIES --days $DAYS --seed 23, aggregate --levels m5 ($(nproc) cores)"
"$SK" synth --series "$SERIES" --days "$DAYS" --seed 23 --out "$WORK/panel.h5" 2> /dev/null
"$SK" aggregate --panel "$WORK/panel.h5" --levels m5 --out "$WORK/agg.h5"
timed_backtest "$WORK/synth_ets.txt" --panel "$WORK/agg.h5" --models ets --horizon 28 --folds "$FOLDS" \
  --reconcile "$METHODS" --level-csv "$WORK/synth_ets.csv"
csvs=("$WORK/synth_ets.csv")
if [ "$LSTM" = 1 ]; then
  timed_backtest "$WORK/synth_lstm.txt" --panel "$WORK/agg.h5" --models lstm --horizon 28 --folds "$FOLDS" \
    --reconcile bu,ols --level-csv "$WORK/synth_lstm.csv"
  csvs+=("$WORK/synth_lstm.csv")
fi
echo "synthetic catalog, WRMSSE by level ($FOLDS folds of 28 days; ets backtest $(awk '$1 == "seconds" { print $2 }' "$WORK/synth_ets.txt") s$([ "$LSTM" = 1 ] && echo ", lstm $(awk '$1 == "seconds" { print $2 }' "$WORK/synth_lstm.txt") s")):"
level_table "${csvs[@]}"

oj_line=""
if [ "$OJ" = 1 ]; then
  Rscript -e 'suppressMessages(library(bayesm))' > /dev/null 2>&1 ||
    { echo "hierarchy_accuracy: the orange-juice part needs R with bayesm (apt-get install -y r-cran-bayesm)" >&2; exit 2; }
  mkdir -p "$WORK/oj"
  Rscript "$HERE/oj_data.R" "$WORK/oj" 0
  "$SK" ingest --csv "$WORK/oj/panel.csv" --dynamic price,deal,feat --static store,brand --freq 1 --season-length 1 \
    --out "$WORK/oj/panel.h5" 2> /dev/null
  "$SK" aggregate --panel "$WORK/oj/panel.h5" --levels "total;store;brand" --out "$WORK/oj/agg.h5"
  timed_backtest "$WORK/oj_ets.txt" --panel "$WORK/oj/agg.h5" --models ets --horizon 12 --folds "$OJ_FOLDS" \
    --reconcile "$METHODS" --level-csv "$WORK/oj_ets.csv"
  oj_csvs=("$WORK/oj_ets.csv")
  if [ "$LSTM" = 1 ]; then
    timed_backtest "$WORK/oj_lstm.txt" --panel "$WORK/oj/agg.h5" --models lstm --horizon 12 --folds "$OJ_FOLDS" \
      --reconcile bu,ols --level-csv "$WORK/oj_lstm.csv"
    oj_csvs+=("$WORK/oj_lstm.csv")
  fi
  echo "orange juice (bottom = store × brand), WRMSSE by level ($OJ_FOLDS folds of 12 weeks; ets backtest $(awk '$1 == "seconds" { print $2 }' "$WORK/oj_ets.txt") s$([ "$LSTM" = 1 ] && echo ", lstm $(awk '$1 == "seconds" { print $2 }' "$WORK/oj_lstm.txt") s")):"
  level_table "${oj_csvs[@]}"
  oj_line="oj_base=$(overall "$WORK/oj_ets.csv" ets) oj_bu=$(overall "$WORK/oj_ets.csv" ets:bu) oj_ols=$(overall "$WORK/oj_ets.csv" ets:ols) oj_mint_shrink=$(overall "$WORK/oj_ets.csv" ets:mint_shrink)"
  [ "$LSTM" = 1 ] && oj_line+=" oj_lstm=$(overall "$WORK/oj_lstm.csv" lstm) oj_lstm_bu=$(overall "$WORK/oj_lstm.csv" lstm:bu) oj_lstm_ols=$(overall "$WORK/oj_lstm.csv" lstm:ols)"
fi
base=$(overall "$WORK/synth_ets.csv" ets); mint=$(overall "$WORK/synth_ets.csv" ets:mint_shrink)
lstm_line=""
[ "$LSTM" = 1 ] && lstm_line="synth_lstm=$(overall "$WORK/synth_lstm.csv" lstm) synth_lstm_bu=$(overall "$WORK/synth_lstm.csv" lstm:bu) synth_lstm_ols=$(overall "$WORK/synth_lstm.csv" lstm:ols)"
echo "RESULT hierarchy_accuracy series=$SERIES synth_base=$base synth_bu=$(overall "$WORK/synth_ets.csv" ets:bu)" \
  "synth_ols=$(overall "$WORK/synth_ets.csv" ets:ols) synth_mint_shrink=$mint $lstm_line $oj_line" \
  "ratio=$(awk -v a="$base" -v b="$mint" 'BEGIN { printf "%.3f", a / b }')"
