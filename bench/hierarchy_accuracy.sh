#!/usr/bin/env bash
# Forecast accuracy by hierarchy level (M5 WRMSSE per level): base forecasts vs bu, ols and mint_shrink reconciliation, synthetic M5 catalog and Dominick's orange juice.
#
# Usage: bench/run.sh hierarchy_accuracy   (env: BUILD; SERIES=3000 bottom series and DAYS=730
# of the synthetic catalog (`skucast synth --seed 23`, M5's levels); FOLDS=2 rolling origins
# of 28 days; OJ=1 to run the orange-juice part (needs R with bayesm: apt-get install -y
# r-cran-bayesm), OJ_FOLDS=2 origins of 12 weeks; GRU=1 and LSTM=1 add the global gru and lstm
# models on both (`backtest`'s defaults: trained afresh per fold, 10 epochs, plus NN_ARGS, e.g.
# NN_ARGS="--epochs 5"; reconciled by bu, ols and mint_shrink like ets, mint_shrink from each
# fold's in-sample one-step residuals, Note [Fold residuals of the global model] in
# engine/eval/backtest.cpp; each adds about ten times the ets backtest's time); ETS=0 skips the
# ets backtests (the RESULT ratio is then the first global model's base ÷ mint_shrink);
# SYNTH=0 skips the synthetic catalog (the ratio then comes from orange juice);
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
# (> 1: reconciliation helps), for ets (or, with ETS=0, the first global model).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SK="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
SERIES=${SERIES:-3000}; DAYS=${DAYS:-730}; FOLDS=${FOLDS:-2}; OJ=${OJ:-1}; OJ_FOLDS=${OJ_FOLDS:-2}; LSTM=${LSTM:-0}
GRU=${GRU:-0}; ETS=${ETS:-1}; NN_ARGS=${NN_ARGS:-}; SYNTH=${SYNTH:-1}
METHODS=bu,ols,mint_shrink
MODELS=()  # the backtests, each model on its own
[ "$ETS" = 1 ] && MODELS+=(ets)
[ "$LSTM" = 1 ] && MODELS+=(lstm)
[ "$GRU" = 1 ] && MODELS+=(gru)
[ ${#MODELS[@]} -gt 0 ] || { echo "hierarchy_accuracy: ETS=0 with neither LSTM=1 nor GRU=1 leaves nothing to run" >&2; exit 2; }
[ "$SYNTH" = 1 ] || [ "$OJ" = 1 ] || { echo "hierarchy_accuracy: SYNTH=0 OJ=0 leaves nothing to run" >&2; exit 2; }

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

# backtests PREFIX PANEL HORIZON FOLDS — every model of MODELS on PANEL; sets csvs and times.
backtests() {
  local prefix=$1 panel=$2 horizon=$3 folds=$4 m extra
  csvs=(); times=""
  for m in "${MODELS[@]}"; do
    extra=()
    # shellcheck disable=SC2206
    [ "$m" = ets ] || extra=($NN_ARGS)
    timed_backtest "$WORK/${prefix}_$m.txt" --panel "$panel" --models "$m" --horizon "$horizon" --folds "$folds" \
      --reconcile "$METHODS" --level-csv "$WORK/${prefix}_$m.csv" "${extra[@]}"
    csvs+=("$WORK/${prefix}_$m.csv")
    times+="${times:+, }$m backtest $(awk '$1 == "seconds" { print $2 }' "$WORK/${prefix}_$m.txt") s"
  done
}
# figures PREFIX — "PREFIX_MODEL=… PREFIX_MODEL_bu=…" for every model (ets keeps the names synth_base, synth_bu…).
figures() {
  local m line="" name
  for m in "${MODELS[@]}"; do
    name=$1_$m; [ "$m" = ets ] && name=$1_base
    line+=" $name=$(overall "$WORK/$1_$m.csv" "$m")"
    [ "$m" = ets ] && name=$1 || name=$1_$m
    line+=" ${name}_bu=$(overall "$WORK/$1_$m.csv" "$m:bu") ${name}_ols=$(overall "$WORK/$1_$m.csv" "$m:ols")"
    line+=" ${name}_mint_shrink=$(overall "$WORK/$1_$m.csv" "$m:mint_shrink")"
  done
  echo "${line# }"
}
synth_line=""
if [ "$SYNTH" = 1 ]; then
  echo "hierarchy_accuracy: synth --series $SERIES --days $DAYS --seed 23, aggregate --levels m5 ($(nproc) cores)"
  "$SK" synth --series "$SERIES" --days "$DAYS" --seed 23 --out "$WORK/panel.h5" 2> /dev/null
  "$SK" aggregate --panel "$WORK/panel.h5" --levels m5 --out "$WORK/agg.h5"
  backtests synth "$WORK/agg.h5" 28 "$FOLDS"
  echo "synthetic catalog, WRMSSE by level ($FOLDS folds of 28 days; $times):"
  level_table "${csvs[@]}"
  synth_line="series=$SERIES $(figures synth)"
fi

oj_line=""
if [ "$OJ" = 1 ]; then
  Rscript -e 'suppressMessages(library(bayesm))' > /dev/null 2>&1 ||
    { echo "hierarchy_accuracy: the orange-juice part needs R with bayesm (apt-get install -y r-cran-bayesm)" >&2; exit 2; }
  mkdir -p "$WORK/oj"
  Rscript "$HERE/oj_data.R" "$WORK/oj" 0
  "$SK" ingest --csv "$WORK/oj/panel.csv" --dynamic price,deal,feat --static store,brand --freq 1 --season-length 1 \
    --out "$WORK/oj/panel.h5" 2> /dev/null
  "$SK" aggregate --panel "$WORK/oj/panel.h5" --levels "total;store;brand" --out "$WORK/oj/agg.h5"
  backtests oj "$WORK/oj/agg.h5" 12 "$OJ_FOLDS"
  echo "orange juice (bottom = store × brand), WRMSSE by level ($OJ_FOLDS folds of 12 weeks; $times):"
  level_table "${csvs[@]}"
  oj_line=$(figures oj)
fi
m=${MODELS[0]}; set_name=synth; [ "$SYNTH" = 1 ] || set_name=oj
base=$(overall "$WORK/${set_name}_$m.csv" "$m"); mint=$(overall "$WORK/${set_name}_$m.csv" "$m:mint_shrink")
echo "RESULT hierarchy_accuracy $synth_line $oj_line" \
  "ratio=$(awk -v a="$base" -v b="$mint" 'BEGIN { printf "%.3f", a / b }')"
