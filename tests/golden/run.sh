#!/usr/bin/env bash
# tests/golden/run.sh SKUCAST_BINARY OUTDIR
#
# Golden-output run: executes a fixed set of skucast commands with fixed seeds and writes
# every output (panels, forecasts, models, backtests, CSVs, the report, and each command's
# normalised stdout/stderr) under OUTDIR. The whole set runs twice, with OMP_NUM_THREADS=1
# into OUTDIR/t1/ and with OMP_NUM_THREADS=2 into OUTDIR/t2/ (train/update also get
# --threads N). Compare two OUTDIRs with tests/golden/compare.sh. See tests/golden/README.md.
#
# Per command NAME the folder holds NAME.stdout and NAME.stderr, normalised by normalise()
# below (timings and throughput figures replaced by placeholders), and NAME.rc when the
# command is expected to fail (its exit status). Every command runs inside OUTDIR/tN with
# relative file names, so no absolute path ends up in an output.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SKUCAST_BINARY OUTDIR" >&2
  exit 2
fi
BIN=$(realpath -e -- "$1")
[[ -x $BIN ]] || { echo "golden: $BIN is not executable" >&2; exit 2; }
mkdir -p -- "$2"
OUT=$(realpath -e -- "$2")
if [[ -n $(ls -A -- "$OUT") ]]; then
  echo "golden: $OUT is not empty; give a new or empty folder" >&2
  exit 2
fi

# Fixed environment: OpenBLAS kernel and threads, locale, time zone, CPU only.
export OPENBLAS_CORETYPE=Haswell
export OPENBLAS_NUM_THREADS=1
export OMP_DYNAMIC=FALSE
export LC_ALL=C
export TZ=UTC
export SKUCAST_RUN_ID=golden  # every HDF5 output records a run id (io/h5.h); fixed, so runs compare byte for byte
export CUDA_VISIBLE_DEVICES=
unset OMP_PROC_BIND OMP_PLACES GOMP_CPU_AFFINITY OMP_SCHEDULE || true

H=28
Q=0.1,0.5,0.9
# shellcheck disable=SC2054  # commas are skucast list arguments, not separators
COLS=(--dynamic price,promo --static state,store,cat,dept,item --weight-col weight --events auto)
STAT_MODELS=(naive snaive ma croston sba tsb croston_opt ses holt damped hw_add hw_mul ets theta)

# normalise: the only rewriting applied to captured stdout/stderr (nothing else is touched).
#  1. "<number> s" (seconds, e.g. "model 0.812 s", "1.3 s →")                   → "<T> s"
#  2. "<number> <unit>/s" (throughput: series/s, windows/s, rows/s, ...)        → "<R> <unit>/s"
#  3. "<number> ms"                                                              → "<T> ms"
#  4. backtest's table: the last column ("seconds", 3 decimals) of each row whose
#     fields are all numbers after the model name, with the spaces that pad it (the
#     padding shrinks once a model takes 10 s or more)                          → " <T>"
normalise() {
  sed -E \
    -e 's/[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)? s([^A-Za-z0-9_]|$)/<T> s\3/g' \
    -e 's/[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)? ([A-Za-z_]+)\/s/<R> \3\/s/g' \
    -e 's/[0-9]+(\.[0-9]+)? ms([^A-Za-z0-9_]|$)/<T> ms\2/g' \
    -e '/^[A-Za-z0-9_+]+( +-?[0-9.]+\*?)+ +[0-9]+\.[0-9]{3}$/s/ +[0-9]+\.[0-9]{3}$/ <T>/'
}

# capture NAME CMD...: runs one skucast command (CMD without the binary), writes its normalised
# stdout and stderr to NAME.stdout / NAME.stderr and sets RC to its exit status.
capture() {
  local name=$1; shift
  RC=0
  "$BIN" "$@" >"$name.stdout.raw" 2>"$name.stderr.raw" || RC=$?
  normalise <"$name.stdout.raw" >"$name.stdout"
  normalise <"$name.stderr.raw" >"$name.stderr"
  rm -f -- "$name.stdout.raw" "$name.stderr.raw"
}

# x NAME CMD...: run one skucast command (CMD without the binary); it must succeed.
x() {
  local name=$1; shift
  capture "$name" "$@"
  if [[ $RC -ne 0 ]]; then
    echo "golden: $PWD: '$name' (skucast $*) failed with exit status $RC:" >&2
    cat -- "$name.stderr" >&2
    exit 1
  fi
}

# xfail NAME CMD...: a command that must fail; its exit status goes to NAME.rc.
xfail() {
  local name=$1; shift
  capture "$name" "$@"
  echo "$RC" >"$name.rc"
  if [[ $RC -eq 0 ]]; then
    echo "golden: $PWD: '$name' (skucast $*) was expected to fail but succeeded" >&2
    exit 1
  fi
}

# same A B NAME: records in checks.txt whether two outputs of this run are byte-identical
# (documented round trips / shard merges); informational, compared like any other file.
same() {
  if cmp -s -- "$1" "$2"; then echo "$3: identical ($1 = $2)"; else echo "$3: DIFFERENT ($1 vs $2)"; fi >>checks.txt
}

run_set() {
  local t=$1
  local dir="$OUT/t$t"
  mkdir -p -- "$dir"
  cd -- "$dir"
  export OMP_NUM_THREADS=$t
  local T=(--threads "$t")
  : >checks.txt

  # --- synth, info, export, ingest ------------------------------------------------------
  x synth       synth --series 200 --days 400 --horizon "$H" --seed 7 --out panel.h5
  x synth_small synth --series 40 --days 400 --horizon "$H" --seed 11 --start 2015-03-02 --deflate 6 \
                      --out small.h5
  x info_panel  info panel.h5
  x info_small  info small.h5
  x export_panel export panel.h5 --csv sales.csv
  x ingest      ingest --csv sales.csv "${COLS[@]}" --freq D --out panel_ingested.h5
  x info_ingested info panel_ingested.h5
  x export_ingested export panel_ingested.h5 --csv sales_ingested.csv
  # every column back in (README: export then ingest gives back the same panel)
  x ingest_full ingest --csv sales.csv --dynamic price,promo,snap_CA,snap_TX,snap_WI \
                       --static cat,dept,item,state,store --weight-col weight --events auto --freq D \
                       --out panel_full.h5
  x export_full export panel_full.h5 --csv sales_full.csv
  same sales.csv sales_full.csv "export -> ingest (all columns) -> export round trip (csv)"
  # frequency inferred, default columns only (no covariates/statics/events)
  x ingest_plain ingest --csv sales.csv --out panel_plain.h5
  x info_plain  info panel_plain.h5
  # strictly positive sales (every observed value + 1) so that hw_mul and ETS's
  # multiplicative forms are really fitted rather than falling back
  awk -F, -v OFS=, 'NR > 1 && $3 != "" { $3 = $3 + 1 } { print }' sales.csv >sales_pos.csv
  x ingest_pos  ingest --csv sales_pos.csv "${COLS[@]}" --freq D --out panel_pos.h5

  # --- forecasts: every statistical model, quantiles, CSV --------------------------------
  local m
  for m in "${STAT_MODELS[@]}"; do
    x "fc_$m" forecast --panel panel.h5 --model "$m" --horizon "$H" --quantiles "$Q" \
                       --out "fc_$m.h5" --csv "fc_$m.csv"
  done
  x fc_ets_theta  forecast --panel panel.h5 --model ets+theta --horizon "$H" --quantiles "$Q" \
                           --out fc_ets_theta.h5 --csv fc_ets_theta.csv
  x fc_ens_median forecast --panel panel.h5 --model snaive+ses+theta+croston --combine median --horizon "$H" \
                           --quantiles 0.05,0.25,0.5,0.75,0.95 --out fc_ens_median.h5 --csv fc_ens_median.csv
  x fc_ets_log    forecast --panel panel.h5 --model ets --transform log --horizon "$H" --quantiles "$Q" \
                           --out fc_ets_log.h5 --csv fc_ets_log.csv
  x fc_theta_boxcox forecast --panel panel.h5 --model theta --transform boxcox --horizon "$H" --quantiles "$Q" \
                           --out fc_theta_boxcox.h5 --csv fc_theta_boxcox.csv
  x fc_ses_block  forecast --panel panel.h5 --model ses --block 37 --horizon "$H" --quantiles "$Q" \
                           --out fc_ses_block.h5 --csv fc_ses_block.csv
  same fc_ses.h5 fc_ses_block.h5 "forecast ses --block 37 vs default block"
  x fc_hw_mul_pos forecast --panel panel_pos.h5 --model hw_mul --horizon "$H" --quantiles "$Q" \
                           --out fc_hw_mul_pos.h5 --csv fc_hw_mul_pos.csv
  x fc_ets_pos    forecast --panel panel_pos.h5 --model ets --horizon "$H" --quantiles "$Q" \
                           --out fc_ets_pos.h5 --csv fc_ets_pos.csv
  # AutoARIMA / ARIMAX are slow: on the 40-series panel
  x fc_arima      forecast --panel small.h5 --model arima --horizon "$H" --quantiles "$Q" \
                           --out fc_arima.h5 --csv fc_arima.csv
  x fc_arimax     forecast --panel small.h5 --model arimax --horizon "$H" --quantiles "$Q" \
                           --out fc_arimax.h5 --csv fc_arimax.csv
  x fc_arimax_reg forecast --panel small.h5 --model arimax --regressors price:log,promo,event:christmas,snap_CA \
                           --horizon "$H" --quantiles "$Q" --out fc_arimax_reg.h5 --csv fc_arimax_reg.csv
  x info_fc       info fc_ets_theta.h5
  x export_fc     export fc_ets_theta.h5 --csv fc_ets_theta_export.csv
  same fc_ets_theta.csv fc_ets_theta_export.csv "forecast --csv vs export of the forecast file"

  # --- backtests ---------------------------------------------------------------------------
  local all_stat
  all_stat=$(IFS=,; echo "${STAT_MODELS[*]}")
  x bt_all   backtest --panel small.h5 --models "$all_stat,arima,arimax,ets+theta" --horizon "$H" --folds 2 \
                      --step 14 --quantiles "$Q" --csv bt_all_per_series.csv --summary bt_all_summary.csv \
                      --out bt_all.h5
  x bt_panel backtest --panel panel.h5 --models "$all_stat,ets+theta" --horizon "$H" --folds 2 \
                      --quantiles "$Q" --csv bt_panel_per_series.csv --summary bt_panel_summary.csv \
                      --out bt_panel.h5
  x bt_lstm  backtest --panel small.h5 --models snaive,lstm --horizon "$H" --folds 1 --epochs 1 --hidden 8 \
                      --layers 1 --context 56 --paths 20 --seed 2 --device cpu --summary bt_lstm_summary.csv \
                      --csv bt_lstm_per_series.csv --out bt_lstm.h5

  # --- global models: train and forecast on the CPU ------------------------------------------
  x train_lstm train --panel panel_ingested.h5 --model lstm --horizon "$H" --hidden 16 --epochs 2 --seed 1 \
                     --device cpu "${T[@]}" --out lstm.h5
  x train_gru  train --panel panel_ingested.h5 --model gru --horizon "$H" --hidden 16 --layers 1 --epochs 2 \
                     --likelihood negbin --sampling weight --seed 3 --device cpu "${T[@]}" --out gru.h5
  x train_lstm_resume train --panel panel_ingested.h5 --model lstm --horizon "$H" --epochs 1 \
                     --resume lstm.h5 --device cpu "${T[@]}" --out lstm_resumed.h5
  x fc_lstm forecast --panel panel_ingested.h5 --model lstm --checkpoint lstm.h5 --horizon "$H" --quantiles "$Q" \
                     --paths 50 --seed 5 --device cpu --out fc_lstm.h5 --csv fc_lstm.csv
  x fc_gru  forecast --panel panel_ingested.h5 --model gru --checkpoint gru.h5 --horizon "$H" --quantiles "$Q" \
                     --paths 50 --seed 5 --device cpu --out fc_gru.h5 --csv fc_gru.csv
  x fc_lstm_resumed forecast --panel panel_ingested.h5 --model lstm --checkpoint lstm_resumed.h5 --horizon "$H" \
                     --quantiles "$Q" --paths 50 --seed 5 --device cpu --out fc_lstm_resumed.h5 --csv fc_lstm_resumed.csv
  x info_fc_lstm info fc_lstm.h5

  # --- nightly update (scripts/demo.sh step 7) -------------------------------------------------
  local last
  last=$(awk -F, 'NR > 1 && $3 != "" && $2 > m { m = $2 } END { print m }' sales.csv)
  awk -F, -v d="$last" 'NR == 1 || $2 < d' sales.csv >sales_until_yesterday.csv
  awk -F, -v d="$last" 'NR == 1 || $2 >= d' sales.csv >sales_today.csv
  x ingest_nightly ingest --csv sales_until_yesterday.csv "${COLS[@]}" --freq D --out nightly.h5
  cp -- nightly.h5 nightly_updated.h5
  x update  update --panel nightly_updated.h5 --append sales_today.csv --static state,store,cat,dept,item \
                   --weight-col weight --checkpoint lstm.h5 --epochs 1 --device cpu "${T[@]}" --out lstm_updated.h5
  x update_panel_only update --panel nightly.h5 --append sales_today.csv --static state,store,cat,dept,item \
                   --weight-col weight --panel-out nightly_panel_out.h5
  same nightly_updated.h5 nightly_panel_out.h5 "update in place vs --panel-out"
  x info_nightly info nightly_updated.h5
  x export_nightly export nightly_updated.h5 --csv nightly_updated.csv
  x fc_nightly forecast --panel nightly_updated.h5 --model lstm --checkpoint lstm_updated.h5 --horizon "$H" \
                   --quantiles "$Q" --seed 5 --device cpu --out fc_nightly.h5 --csv fc_nightly.csv

  # --- sharded forecasts + merge -----------------------------------------------------------------
  local k
  for k in 0 1 2; do
    x "fc_shard_ets_$k" forecast --panel panel.h5 --model ets+theta --horizon "$H" --quantiles "$Q" \
                                 --shard "$k/3" --out "fc_shard_ets_$k.h5" --csv "fc_shard_ets_$k.csv"
  done
  x merge_ets merge fc_shard_ets_0.h5 fc_shard_ets_1.h5 fc_shard_ets_2.h5 --out fc_merged_ets.h5 \
                    --csv fc_merged_ets.csv
  same fc_ets_theta.h5 fc_merged_ets.h5 "merge of 3 ets+theta shards vs one run (h5)"
  same fc_ets_theta.csv fc_merged_ets.csv "merge of 3 ets+theta shards vs one run (csv)"
  for k in 0 1; do
    x "fc_shard_lstm_$k" forecast --panel panel_ingested.h5 --model lstm --checkpoint lstm.h5 --horizon "$H" \
                                  --quantiles "$Q" --paths 50 --seed 5 --device cpu --shard "$k/2" \
                                  --out "fc_shard_lstm_$k.h5"
  done
  x merge_lstm merge fc_shard_lstm_0.h5 fc_shard_lstm_1.h5 --out fc_merged_lstm.h5 --csv fc_merged_lstm.csv
  same fc_lstm.csv fc_merged_lstm.csv "merge of 2 lstm shards vs one run (csv)"

  # --- report ------------------------------------------------------------------------------------
  x report      report --panel panel.h5 --forecast fc_ets_theta.h5 --backtest bt_panel.h5 --out report.html
  x report_lstm report --panel panel_ingested.h5 --forecast fc_lstm.h5 --series 4 \
                       --ids HOBBIES_1_001_CA_1,FOODS_3_001_TX_1 --block 64 --out report_lstm.html

  # --- errors: exit status and message -------------------------------------------------------------
  xfail err_unknown_model forecast --panel panel.h5 --model bogus --horizon "$H" --out err.h5
  awk -F, 'NR == 1 { print; next } $3 != "" { print; print; exit }' sales.csv >dup.csv
  xfail err_ingest_duplicate ingest --csv dup.csv --out err.h5
  xfail err_info_model info lstm.h5
  [[ ! -e err.h5 ]] || { echo "golden: a failed command left err.h5" >&2; exit 1; }
}

start=$SECONDS
for t in 1 2; do
  s=$SECONDS
  ( run_set "$t" )
  echo "golden: t$t done in $((SECONDS - s)) s"
done
n=$(find "$OUT" -type f | wc -l)
echo "golden: $n files in $OUT, $((SECONDS - start)) s"
