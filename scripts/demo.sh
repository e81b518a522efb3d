#!/usr/bin/env bash
# scripts/demo.sh — the main job end to end on a synthetic catalog:
# installs what it needs (as root on Debian), builds, generates a catalog shaped like M5,
# backtests the statistical models, forecasts 28 days with quantiles, trains the global
# model (a GRU) and forecasts with it, writes an HTML report, then runs one nightly update
# (new day of sales appended, the GRU fine-tuned on it).
#   SERIES=1000 DAYS=730 OUT=out/demo ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${SERIES:-1000}
DAYS=${DAYS:-730}
H=${HORIZON:-28}
OUT=${OUT:-out/demo}
./scripts/deps.sh
./scripts/build.sh build >/dev/null
B=build/skucast
mkdir -p "$OUT"
step() { echo; echo "== $*"; }

step "1. generate a catalog: $SERIES series x $DAYS days (+$H future days of prices, promotions, events)"
$B synth --series "$SERIES" --days "$DAYS" --horizon "$H" --seed 7 --out "$OUT/panel.h5"
$B info "$OUT/panel.h5"

step "2. export it as long CSV and ingest it back (the path real data takes)"
$B export "$OUT/panel.h5" --csv "$OUT/sales.csv"
COLS=(--dynamic price,promo --static state,store,cat,dept,item --weight-col weight --events auto)
$B ingest --csv "$OUT/sales.csv" "${COLS[@]}" --freq D --out "$OUT/panel_ingested.h5"

step "3. backtest: 2 rolling origins x $H days"
MODELS=${MODELS:-snaive,ses,croston,tsb,ets,theta,ets+theta}
$B backtest --panel "$OUT/panel.h5" --models "$MODELS" --horizon "$H" --folds 2 \
  --quantiles 0.1,0.5,0.9 --summary "$OUT/backtest_summary.csv" --csv "$OUT/backtest_per_series.csv" --out "$OUT/backtest.h5"

step "4. forecast the next $H days with quantiles"
$B forecast --panel "$OUT/panel.h5" --model "${MODEL:-ets+theta}" --horizon "$H" --quantiles 0.1,0.5,0.9 \
  --out "$OUT/forecast.h5" --csv "$OUT/forecast.csv"
head -4 "$OUT/forecast.csv"

step "5. train the global model (a GRU, DeepAR-style) across all series and forecast with it"
$B train --panel "$OUT/panel_ingested.h5" --model gru --horizon "$H" --hidden 32 --epochs "${EPOCHS:-3}" --seed 1 --out "$OUT/gru.h5"
$B forecast --panel "$OUT/panel_ingested.h5" --model gru --checkpoint "$OUT/gru.h5" --horizon "$H" --quantiles 0.1,0.5,0.9 \
  --out "$OUT/forecast_gru.h5" --csv "$OUT/forecast_gru.csv"

if $B report --help >/dev/null 2>&1; then
  step "6. report"
  $B report --panel "$OUT/panel.h5" --forecast "$OUT/forecast.h5" --backtest "$OUT/backtest.h5" --out "$OUT/report.html"
fi
step "7. nightly update: the last day of sales arrives; append it and fine-tune the GRU for one epoch"
LAST=$(awk -F, 'NR > 1 && $3 != "" && $2 > m { m = $2 } END { print m }' "$OUT/sales.csv")
awk -F, -v d="$LAST" 'NR == 1 || $2 < d' "$OUT/sales.csv" > "$OUT/sales_until_yesterday.csv"
awk -F, -v d="$LAST" 'NR == 1 || $2 >= d' "$OUT/sales.csv" > "$OUT/sales_today.csv"
$B ingest --csv "$OUT/sales_until_yesterday.csv" "${COLS[@]}" --freq D --out "$OUT/nightly.h5"
$B update --panel "$OUT/nightly.h5" --append "$OUT/sales_today.csv" --static state,store,cat,dept,item \
  --weight-col weight --checkpoint "$OUT/gru.h5" --epochs 1 --out "$OUT/gru_updated.h5"
$B forecast --panel "$OUT/nightly.h5" --model gru --checkpoint "$OUT/gru_updated.h5" --horizon "$H" \
  --quantiles 0.1,0.5,0.9 --out "$OUT/forecast_nightly.h5"

echo; echo "demo: outputs in $OUT/"; ls -la "$OUT"
