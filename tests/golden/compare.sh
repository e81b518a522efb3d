#!/usr/bin/env bash
# tests/golden/compare.sh REF_DIR NEW_DIR
#
# Compares two output folders of tests/golden/run.sh file by file, byte for byte (cmp).
# Prints one line per difference (a file that differs, or is missing on one side) and a
# final summary line, "golden: N files identical" or "golden: K of N files differ"
# (N = files in the union of both folders). Exits 0 when nothing differs, 1 otherwise,
# 2 on bad usage.
#
# The one normalisation rule (everything else is compared raw):
#   *.csv whose header's last column is `seconds` (backtest --summary: the wall time each
#   model took) is compared with that last column removed from every line. Both files
#   must have it. The rest of the row (model, metrics, n_fallback) is compared byte for byte.
# (Timings in captured stdout/stderr are already replaced by placeholders in run.sh.)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 REF_DIR NEW_DIR" >&2
  exit 2
fi
REF=$1
NEW=$2
for d in "$REF" "$NEW"; do
  [[ -d $d ]] || { echo "golden: $d is not a folder" >&2; exit 2; }
done
export LC_ALL=C

# has_seconds_column FILE: its first line ends with ',seconds'
has_seconds_column() {
  local header
  IFS= read -r header <"$1" || true
  [[ $header == *,seconds ]]
}

# strip_last_column FILE: the file with its last CSV column removed from every line
# (backtest summaries: model names and numbers, no quoted commas)
strip_last_column() {
  sed -E 's/,[^,]*$//' -- "$1"
}

n=0
ndiff=0
while IFS= read -r -d '' rel; do
  n=$((n + 1))
  a="$REF/$rel"
  b="$NEW/$rel"
  if [[ ! -e $a ]]; then
    echo "only in $NEW: $rel"
    ndiff=$((ndiff + 1))
    continue
  fi
  if [[ ! -e $b ]]; then
    echo "only in $REF: $rel"
    ndiff=$((ndiff + 1))
    continue
  fi
  if [[ $rel == *.csv ]] && has_seconds_column "$a" && has_seconds_column "$b"; then
    if ! cmp -s <(strip_last_column "$a") <(strip_last_column "$b"); then
      echo "differs (seconds column ignored): $rel: $(cmp <(strip_last_column "$a") <(strip_last_column "$b") 2>&1 | head -n 1 | sed -E "s|^/dev/fd/[0-9]+ /dev/fd/[0-9]+ ||")"
      ndiff=$((ndiff + 1))
    fi
    continue
  fi
  if ! cmp -s -- "$a" "$b"; then
    echo "differs: $rel: $(cmp -- "$a" "$b" 2>&1 | head -n 1)"
    ndiff=$((ndiff + 1))
  fi
done < <(
  { (cd -- "$REF" && find . -type f -print0); (cd -- "$NEW" && find . -type f -print0); } |
    sed -z 's|^\./||' | sort -z -u
)

if [[ $n -eq 0 ]]; then
  echo "golden: no files in $REF or $NEW" >&2
  exit 2
fi
if [[ $ndiff -eq 0 ]]; then
  echo "golden: $n files identical"
else
  echo "golden: $ndiff of $n files differ"
  exit 1
fi
