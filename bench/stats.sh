#!/usr/bin/env bash
# Statistical baselines (naive…tsb, ets, theta) over a synthetic catalog on 2 cores vs statsforecast on the same series.
#
# Run as `bench/run.sh stats` from a built tree. Environment (defaults):
#   SERIES=30000 DAYS=1941 H=28   catalog forecast by skucast (skucast synth --seed 1)
#   PEER_SERIES=3000              subset panel (same generator) run by both tools
#   SLOW_SERIES=100               smaller panel for the slow models (SLOW_MODELS: ses ets theta,
#                                 per-series optimisation / model selection), run by both; on
#                                 the full catalog skucast times them on this panel too when
#                                 SERIES > 5000
#   CORES=2                       cores for both (taskset + OMP_NUM_THREADS / n_jobs)
#   PEER_VENV=/tmp/skucast-sf-venv  venv holding statsforecast + h5py (created when missing;
#                                   benchmark only, never part of CI)
# Timings are model time only (panel I/O and file writing excluded on both sides);
# statsforecast's numba compilation is warmed up on a tiny frame first; for the fast models it
# gets the better of n_jobs=1 and n_jobs=CORES (its process pool costs ~1 s to start). Both run without
# quantiles (statsforecast's Croston family has no analytic intervals), so the work matches.
# series_per_s = series per second through the whole baseline set, 1 / Σ_m (1 / series/s of m)
# (skucast, full catalog; slow models at their measured rate); peer_series_per_s the same for
# statsforecast over the models both have, skucast_common_series_per_s skucast's over those;
# ratio = geometric mean over those models of skucast series/s ÷ statsforecast series/s on
# identical series (> 1: skucast faster).
set -euo pipefail
SERIES=${SERIES:-30000}; DAYS=${DAYS:-1941}; H=${H:-28}; CORES=${CORES:-2}
PEER_SERIES=${PEER_SERIES:-3000}; SLOW_SERIES=${SLOW_SERIES:-100}
PEER_VENV=${PEER_VENV:-/tmp/skucast-sf-venv}
SKUCAST_BIN=${SKUCAST_BIN:-${BUILD:-build}/skucast}
WORK=$(mktemp -d /tmp/skucast-bench-stats.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
CPUS=$(seq -s, 0 $((CORES - 1)))
pin() { if command -v taskset >/dev/null; then taskset -c "$CPUS" "$@"; else "$@"; fi; }
SLOW_MODELS=" ses ets theta "
is_slow() { case "$SLOW_MODELS" in *" $1 "*) return 0 ;; esac; return 1; }

# Models skucast knows (from the registry's error message), in the baseline order.
known=$("$SKUCAST_BIN" forecast --panel /dev/null --model '?' --horizon 1 --out "$WORK/x.h5" 2>&1 |
  sed -n 's/.*known models: \(.*\), or members.*/\1/p' | tr -d ' ' || true)
MODELS=""
for m in naive snaive ma ses croston sba tsb ets theta; do
  case ",$known," in *",$m,"*) MODELS="$MODELS $m" ;; esac
done
echo "stats: models:$MODELS; $SERIES series × $DAYS days, horizon $H, $CORES cores"

make_panel() {  # $1 series, $2 path
  if ! "$SKUCAST_BIN" synth --series "$1" --days "$DAYS" --seed 1 --out "$2" 2>"$WORK/synth.log"; then
    echo "stats: skucast synth failed:" >&2; cat "$WORK/synth.log" >&2; exit 1
  fi
}
make_panel "$SERIES" "$WORK/full.h5"
make_panel "$PEER_SERIES" "$WORK/sub.h5"
make_panel "$SLOW_SERIES" "$WORK/slow.h5"

# Runs skucast on panel $1 with model $2; prints the model seconds.
sk_time() {
  pin env OMP_NUM_THREADS="$CORES" "$SKUCAST_BIN" forecast --panel "$1" --model "$2" --horizon "$H" \
    --quantiles "" --out "$WORK/fc.h5" 2>&1 | sed -n 's/.*; model \([0-9.]*\) s .*/\1/p'
}

inv_sum=0  # Σ seconds per series over the models
echo "skucast, full catalog ($SERIES series):"
for m in $MODELS; do
  panel="$WORK/full.h5"; n=$SERIES
  if is_slow "$m" && [ "$SERIES" -gt 5000 ]; then panel="$WORK/slow.h5"; n=$SLOW_SERIES; fi
  s=$(sk_time "$panel" "$m")
  [ -n "$s" ] || { echo "stats: skucast forecast --model $m failed" >&2; exit 1; }
  inv_sum=$(awk -v a="$inv_sum" -v s="$s" -v n="$n" 'BEGIN{print a+s/n}')
  awk -v m="$m" -v s="$s" -v n="$n" 'BEGIN{printf "  %-8s %8.3f s %10.1f series/s  (%d series)\n", m, s, n/s, n}'
done
n_models=$(echo $MODELS | wc -w)
series_per_s=$(awk -v t="$inv_sum" 'BEGIN{printf "%.1f", 1/t}')
q_s=$(pin env OMP_NUM_THREADS="$CORES" "$SKUCAST_BIN" forecast --panel "$WORK/full.h5" --model croston --horizon "$H" \
  --quantiles 0.1,0.5,0.9 --out "$WORK/fc.h5" 2>&1 | sed -n 's/.*; model \([0-9.]*\) s .*/\1/p')
echo "  (croston with quantiles 0.1,0.5,0.9: $q_s s)"

# ------------------------------------------------------------------ peer ----
peer_ok=1
if [ ! -x "$PEER_VENV/bin/python" ]; then
  echo "stats: creating $PEER_VENV with statsforecast and h5py (pip)"
  { python3 -m venv "$PEER_VENV" && "$PEER_VENV/bin/pip" install -q statsforecast h5py; } >/dev/null 2>&1 || peer_ok=0
fi
if [ "$peer_ok" = 1 ] && ! "$PEER_VENV/bin/python" -c "import statsforecast, h5py" 2>/dev/null; then
  "$PEER_VENV/bin/pip" install -q statsforecast h5py >/dev/null 2>&1 || peer_ok=0
fi
if [ "$peer_ok" = 0 ]; then
  echo "stats: statsforecast could not be installed (no PyPI access?); peer not measured"
  echo "RESULT stats series_per_s=$series_per_s peer=unavailable ratio=nan"
  exit 0
fi

# skucast name → statsforecast model expression (the models both have).
declare -A PEER=(
  [naive]="Naive()" [snaive]="SeasonalNaive(season_length=7)" [ses]="AutoETS(season_length=7, model='ANN')"
  [croston]="CrostonClassic()" [sba]="CrostonSBA()" [tsb]="TSB(alpha_d=0.1, alpha_p=0.1)"
  [ets]="AutoETS(season_length=7)" [theta]="Theta(season_length=7)"
)
: > "$WORK/peer_fast.txt"; : > "$WORK/peer_slow.txt"
for m in $MODELS; do
  [ -n "${PEER[$m]:-}" ] || continue
  if is_slow "$m"; then echo "$m ${PEER[$m]}" >> "$WORK/peer_slow.txt"; else echo "$m ${PEER[$m]}" >> "$WORK/peer_fast.txt"; fi
done

sf_version=$("$PEER_VENV/bin/python" -c 'import statsforecast; print(statsforecast.__version__)')
echo "same series, skucast vs statsforecast $sf_version ($PEER_SERIES series; $SLOW_SERIES for the slow models):"
cat > "$WORK/peer.py" <<'PY'
# Reads the panel, prepares each series as skucast does (trim leading/trailing NaN, linear
# interpolation inside, all-NaN dropped), then times StatsForecast.forecast per model.
import sys, time
import h5py, numpy as np, pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import *  # noqa: F401,F403

panel, h, cores, spec, fast = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "fast"
with h5py.File(panel, "r") as f:
    y = f["target"][:]
frames = []
for i, row in enumerate(y):
    idx = np.flatnonzero(np.isfinite(row))
    if idx.size == 0:
        continue
    s = pd.Series(row[idx[0]:idx[-1] + 1].astype(np.float64)).interpolate(method="linear")
    frames.append(pd.DataFrame({"unique_id": i, "ds": np.arange(len(s)), "y": s.to_numpy()}))
df = pd.concat(frames, ignore_index=True)
n = df["unique_id"].nunique()
tiny = df[df["unique_id"].isin(df["unique_id"].unique()[:2])]
for line in open(spec):
    name, expr = line.strip().split(" ", 1)
    StatsForecast(models=[eval(expr)], freq=1, n_jobs=1).forecast(df=tiny, h=h)  # numba warm-up
    best = float("inf")
    # Fast models: also n_jobs=1, as the process pool's start-up (~1 s) can outweigh the
    # work; the peer is credited with its better time. Slow models: n_jobs=cores only.
    for jobs in ([1, cores] if fast else [cores]):
        sf = StatsForecast(models=[eval(expr)], freq=1, n_jobs=jobs)
        t0 = time.perf_counter()
        sf.forecast(df=df, h=h)
        best = min(best, time.perf_counter() - t0)
    print(f"{name} {best:.6f} {n}", flush=True)
PY
# The peer runs alone first (its timings to a file), then skucast model by model.
: > "$WORK/peer_times.txt"
for kind in fast slow; do
  panel="$WORK/sub.h5"; [ "$kind" = slow ] && panel="$WORK/slow.h5"
  [ -s "$WORK/peer_$kind.txt" ] || continue
  if ! pin "$PEER_VENV/bin/python" "$WORK/peer.py" "$panel" "$H" "$CORES" "$WORK/peer_$kind.txt" "$kind" \
      >>"$WORK/peer_times.txt" 2>"$WORK/peer.log"; then
    echo "stats: statsforecast run failed:"; tail -5 "$WORK/peer.log"
  fi
done
ratio_log=0; n_ratio=0; peer_inv=0; sk_inv=0
# Series/s on both sides counts the non-empty series (statsforecast gets only those);
# skucast's time also covers the all-NaN ones (trivial).
while read -r m pt pn; do
  panel="$WORK/sub.h5"; is_slow "$m" && panel="$WORK/slow.h5"
  st=$(sk_time "$panel" "$m")
  [ -n "$st" ] || { echo "  $m: skucast failed"; continue; }
  awk -v m="$m" -v st="$st" -v pt="$pt" -v n="$pn" \
    'BEGIN{printf "  %-8s skucast %8.3f s %9.1f series/s | statsforecast %8.3f s %9.1f series/s | ratio %.2f\n", m, st, n/st, pt, n/pt, pt/st}'
  ratio_log=$(awk -v a="$ratio_log" -v st="$st" -v pt="$pt" 'BEGIN{print a+log(pt/st)}')
  peer_inv=$(awk -v a="$peer_inv" -v t="$pt" -v n="$pn" 'BEGIN{print a+t/n}')
  sk_inv=$(awk -v a="$sk_inv" -v t="$st" -v n="$pn" 'BEGIN{print a+t/n}')
  n_ratio=$((n_ratio + 1))
done < "$WORK/peer_times.txt"
if [ "$n_ratio" = 0 ]; then
  echo "RESULT stats series_per_s=$series_per_s peer=failed ratio=nan"
  exit 0
fi
peer_sps=$(awk -v t="$peer_inv" 'BEGIN{printf "%.1f", 1/t}')
sk_common=$(awk -v t="$sk_inv" 'BEGIN{printf "%.1f", 1/t}')
ratio=$(awk -v a="$ratio_log" -v k="$n_ratio" 'BEGIN{printf "%.2f", exp(a/k)}')
echo "RESULT stats series_per_s=$series_per_s skucast_common_series_per_s=$sk_common peer_series_per_s=$peer_sps models=$n_models common_models=$n_ratio ratio=$ratio"
