#!/usr/bin/env bash
# skucast synth of an M5-sized catalog (30,000 series × 1,941 days): time, peak RSS, vs raw dd write of the same bytes
#
# Measures `skucast synth --series S --days T` (plus `sync` of the file, so the data are on
# disk) with /usr/bin/time -v, then, as the peer, `dd` writing the panel's logical payload
# (target [S, T] + price and promo [S, T+F], float32: what a raw dump of the tensors would
# write) to the same folder with conv=fdatasync. ratio = synth payload bytes/s over dd
# bytes/s: 1 would mean generating and compressing the catalog is as fast as only writing it.
# Env: SYNTH_SERIES (30000), SYNTH_DAYS (1941), SYNTH_HORIZON (28), BENCH_TMP (a temp folder).
set -euo pipefail
: "${SKUCAST_BIN:?run through bench/run.sh or set SKUCAST_BIN}"
S=${SYNTH_SERIES:-30000}
T=${SYNTH_DAYS:-1941}
F=${SYNTH_HORIZON:-28}
TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/skucast_bench_synth.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }

# ---- skucast
t0=$(now)
/usr/bin/time -v "$SKUCAST_BIN" synth --series "$S" --days "$T" --horizon "$F" --seed 1 --out "$TMP/panel.h5" \
  2> "$TMP/time.txt" || { cat "$TMP/time.txt" >&2; exit 1; }
sync "$TMP/panel.h5"
t1=$(now)
grep '^skucast:' "$TMP/time.txt" >&2 || true
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
file_bytes=$(stat -c %s "$TMP/panel.h5")
payload=$(( S * T * 4 + 2 * S * (T + F) * 4 ))
rm -f "$TMP/panel.h5"

# ---- peer: raw write of the same payload
mb=$(( (payload + 1048575) / 1048576 ))
t2=$(now)
dd if=/dev/zero of="$TMP/raw.bin" bs=1M count="$mb" conv=fdatasync status=none
t3=$(now)
rm -f "$TMP/raw.bin"

awk -v s="$S" -v t="$T" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v rss="$rss_kb" -v pay="$payload" \
    -v mb="$mb" -v fb="$file_bytes" 'BEGIN {
  synth_s = b - a; dd_s = d - c;
  synth_bps = pay / synth_s; dd_bps = mb * 1048576 / dd_s;
  printf "synth: %.0f MB payload (%.1f MB file) in %.2f s; dd: %d MB in %.2f s (%.0f MB/s)\n",
         pay / 1e6, fb / 1e6, synth_s, mb, dd_s, dd_bps / 1e6 > "/dev/stderr";
  printf "RESULT synth series_days_per_s=%.4g seconds=%.2f peak_rss_mb=%.1f file_mb=%.1f raw_write_mb_per_s=%.0f ratio=%.3f\n",
         s * t / synth_s, synth_s, rss / 1024, fb / 1e6, dd_bps / 1e6, synth_bps / dd_bps;
}'
