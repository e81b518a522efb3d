#!/usr/bin/env bash
# ARIMAX on Dominick's weekly orange-juice sales (price, deal, feature): skucast arimax vs R auto.arima(xreg =) (sMAPE/MASE/RMSE).
#
# Usage: bench/run.sh arimax_oj   (env: BUILD, OJ_SERIES=55 store x brand series (all complete
# ones), OJ_H=13 holdout weeks, KEEP=dir keeps the files). Needs R with the forecast and bayesm
# packages (apt-get install -y r-cran-forecast r-cran-bayesm).
# Data: bayesm::orangeJuice (Dominick's Finer Foods, store x brand x week 40-160): units =
# exp(logmove), own price (price<brand>), deal, feat. The last OJ_H weeks are held out; their
# price/deal/feat are the known future covariates (the panel's future part). Both tools see the
# same series and regressors: price as is, and log(price) (skucast --regressors price:log).
# Fitted non-seasonally (season length 1: weekly m = 52 is beyond both tools' seasonal ARIMA
# with 108 weeks). Figures: mean over series of sMAPE, MASE (in-sample lag-1 naive MAE) and RMSE.
# Also on the log scale: skucast --transform log (log(1 + units)) vs R's auto.arima(lambda = 0,
# biasadj = TRUE) (log(units); OJ units are > 0), both with log price.
# RESULT: skucast arimax (price:log,deal,feat) vs R auto.arima(xreg = log price, deal, feat);
# ratio = R's MASE / skucast's MASE (> 1: skucast more accurate).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
BIN="${SKUCAST_BIN:-$BUILD/skucast}"
[ -x "$BIN" ] || { echo "arimax_oj: $BIN not built" >&2; exit 2; }
Rscript -e 'suppressMessages({library(forecast); library(bayesm)})' > /dev/null 2>&1 ||
  { echo "arimax_oj: needs R with forecast and bayesm (apt-get install -y r-cran-forecast r-cran-bayesm)" >&2; exit 2; }
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
N=${OJ_SERIES:-55}; H=${OJ_H:-13}

Rscript "$HERE/arimax_oj.R" prepare "$WORK" "$N" "$H"
"$BIN" ingest --csv "$WORK/panel.csv" --dynamic price,deal,feat --freq 1 --season-length 1 --out "$WORK/oj.h5"

sk_time() { sed -n 's/.*model \([0-9.]*\) s.*/\1/p' "$1"; }
run_sk() {  # run_sk NAME MODEL [REGRESSORS [TRANSFORM]]
  local name=$1 model=$2 regs=${3:-} tr=${4:-none}
  "$BIN" forecast --panel "$WORK/oj.h5" --model "$model" ${regs:+--regressors "$regs"} --transform "$tr" --horizon "$H" \
    --out "$WORK/$name.h5" --csv "$WORK/$name.csv" 2> "$WORK/$name.log"
  cat "$WORK/$name.log"
}
run_sk skucast_arimax arimax price,deal,feat
run_sk skucast_arimax_logprice arimax price:log,deal,feat
run_sk skucast_arimax_logprice_logy arimax price:log,deal,feat log
run_sk skucast_arima arima
echo "arimax_oj: R $(Rscript -e 'cat(as.character(packageVersion("forecast")))') auto.arima ..."
Rscript "$HERE/arimax_oj.R" peer "$WORK" "$H" | tee "$WORK/r.log"

Rscript "$HERE/arimax_oj.R" score "$WORK" "$H" "$WORK/r_forecast.csv" "$WORK/skucast_arimax.csv" \
  "$WORK/skucast_arimax_logprice.csv" "$WORK/skucast_arimax_logprice_logy.csv" "$WORK/skucast_arima.csv"
get() { awk -F, -v m="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $1 == m { printf "%.4f", $col[c] }' "$WORK/scores.csv"; }
sk_mase=$(get skucast_arimax_logprice mase); r_mase=$(get r_arimax_logprice mase)
echo "RESULT arimax_oj series=$(get skucast_arimax_logprice series | cut -d. -f1) h=$H" \
  "skucast_smape=$(get skucast_arimax_logprice smape) r_smape=$(get r_arimax_logprice smape)" \
  "skucast_mase=$sk_mase r_mase=$r_mase" \
  "skucast_rmse=$(get skucast_arimax_logprice rmse) r_rmse=$(get r_arimax_logprice rmse)" \
  "skucast_rawprice_mase=$(get skucast_arimax mase) r_rawprice_mase=$(get r_arimax mase)" \
  "skucast_arima_mase=$(get skucast_arima mase) r_arima_mase=$(get r_arima mase)" \
  "skucast_logy_smape=$(get skucast_arimax_logprice_logy smape) r_logy_smape=$(get r_arimax_logprice_logy smape)" \
  "skucast_logy_mase=$(get skucast_arimax_logprice_logy mase) r_logy_mase=$(get r_arimax_logprice_logy mase)" \
  "skucast_s=$(sk_time "$WORK/skucast_arimax_logprice.log")" \
  "ratio=$(awk -v a="$r_mase" -v b="$sk_mase" 'BEGIN { printf "%.3f", a / b }')"
