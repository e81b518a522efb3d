#!/usr/bin/env bash
# Long CSV → panel: `skucast ingest` throughput vs pandas.read_csv and a raw read (cat) of the same file.
#
# Usage: bench/run.sh ingest   (env: BUILD; INGEST_SERIES=2000 INGEST_DAYS=1941 size the CSV:
# about 94 bytes per row with synth's 5 covariates and 5 statics, so ≈370 MB by default; REPS=2 repetitions, best kept; PANDAS_PYTHON=/usr/bin/python3;
# KEEP=dir keeps the files). The CSV is made by `skucast synth` + `skucast export`, then
# read warm from the page cache by every contender, so the figures are parse speed, not disk.
# skucast does the whole job (two passes, validation, HDF5 write); pandas only parses into a
# DataFrame, with the same columns and dtypes left to its defaults.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
[ -x "$BIN" ] || { echo "ingest: $BIN not built" >&2; exit 2; }
S=${INGEST_SERIES:-2000}; T=${INGEST_DAYS:-1941}; REPS=${REPS:-2}
PY="${PANDAS_PYTHON:-/usr/bin/python3}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
best() {  # best-of-REPS wall seconds of a command
  local b="" t0 t1 d
  for _ in $(seq "$REPS"); do
    t0=$(now)
    "$@" > /dev/null 2>&1 || { echo "ingest: failed: $*" >&2; exit 1; }  # exits the $(...), then set -e stops the script
    t1=$(now)
    d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    b=$(awk -v x="$b" -v y="$d" 'BEGIN { if (x == "" || y < x) print y; else print x }')
  done
  echo "$b"
}

echo "ingest: generating $S series x $T days (synth + export) in $WORK ..."
"$BIN" synth --series "$S" --days "$T" --horizon 28 --out "$WORK/panel.h5" 2> /dev/null
"$BIN" export "$WORK/panel.h5" --csv "$WORK/sales.csv" 2> /dev/null
BYTES=$(stat -c %s "$WORK/sales.csv")
ROWS=$(($(wc -l < "$WORK/sales.csv") - 1))
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "ingest: $WORK/sales.csv: $MB MB, $ROWS rows; $(nproc) cores; best of $REPS"
cat "$WORK/sales.csv" > /dev/null  # warm the page cache for everyone

t_cat=$(best cat "$WORK/sales.csv")
t_wc=$(best wc -l "$WORK/sales.csv")
t_sk=$(best "$BIN" ingest --csv "$WORK/sales.csv" --dynamic price,promo,snap_CA,snap_TX,snap_WI \
  --static cat,dept,item,state,store --weight-col weight --out "$WORK/back.h5")

t_pd="nan"
if "$PY" -c 'import pandas' > /dev/null 2>&1; then
  cat > "$WORK/pd.py" << 'EOF'
import sys, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
print(f"{time.perf_counter() - t0:.4f}", len(df))
EOF
  t_pd=""
  for _ in $(seq "$REPS"); do
    d=$("$PY" "$WORK/pd.py" "$WORK/sales.csv" | awk '{ print $1 }')
    t_pd=$(awk -v x="$t_pd" -v y="$d" 'BEGIN { if (x == "" || y < x) print y; else print x }')
  done
  echo "ingest: pandas $("$PY" -c 'import pandas; print(pandas.__version__)') read_csv: ${t_pd} s"
else
  echo "ingest: $PY has no pandas; the pandas figures print as nan"
fi

rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t == "nan" || t <= 0) print "nan"; else printf "%.4g", n / t }'; }
echo "ingest: cat ${t_cat} s, wc -l ${t_wc} s, skucast ingest ${t_sk} s, pandas.read_csv ${t_pd} s"
sk_mb=$(rate "$MB" "$t_sk"); pd_mb=$(rate "$MB" "$t_pd"); cat_mb=$(rate "$MB" "$t_cat")
ratio=$(awk -v a="$sk_mb" -v b="$pd_mb" 'BEGIN { if (b == "nan" || b == 0) print "nan"; else printf "%.3g", a / b }')
echo "RESULT ingest series_days_per_s=$(rate "$ROWS" "$t_sk") mb_per_s=$sk_mb pandas_mb_per_s=$pd_mb cat_mb_per_s=$cat_mb ratio=$ratio"
