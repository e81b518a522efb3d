#!/usr/bin/env bash
# The global LSTM (DeepAR-style) against the statistical baselines on a synthetic catalog with
# prices, promotions and events: every model forecasts the last H days of history from the
# same truncated panel, and one evaluator scores them all against the held-out days.
#
# Run as `bench/run.sh deepar_accuracy` from a built tree. Environment (defaults):
#   SERIES=2000 DAYS=1100 H=28   catalog (skucast synth --seed 1); the last H days are held out
#   EPOCHS=20 HIDDEN=64 LAYERS=2 CONTEXT=112 LIKELIHOOD=negbin PATHS=100   LSTM settings
#   BASELINES="snaive ets theta" CORES=2
# Steps: synth → export → blank the last H days of `value` (they become the future part,
# covariates kept) → ingest → train + forecast the LSTM, forecast each baseline → score.
# Metrics (as engine/eval/metrics.h): RMSSE per series (scale = mean squared one-step difference of
# the observed history), mean over series with a defined scale; pinball = mean over the levels
# 0.1, 0.5, 0.9 and over series of the mean pinball loss (units of sales). Steps with a NaN truth
# are skipped. RESULT ratio = best baseline RMSSE ÷ LSTM RMSSE (> 1: the LSTM is better).
set -euo pipefail
SERIES=${SERIES:-2000}; DAYS=${DAYS:-1100}; H=${H:-28}; CORES=${CORES:-2}
EPOCHS=${EPOCHS:-20}; HIDDEN=${HIDDEN:-64}; LAYERS=${LAYERS:-2}; CONTEXT=${CONTEXT:-112}
LIKELIHOOD=${LIKELIHOOD:-negbin}; PATHS=${PATHS:-100}
BASELINES=${BASELINES:-snaive ets theta}
SKUCAST_BIN=${SKUCAST_BIN:-${BUILD:-build}/skucast}
WORK=$(mktemp -d /tmp/skucast-bench-deepar.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=$CORES

"$SKUCAST_BIN" synth --series "$SERIES" --days "$DAYS" --horizon "$H" --seed 1 --out "$WORK/full.h5"
"$SKUCAST_BIN" export "$WORK/full.h5" --csv "$WORK/full.csv"
# Last H history dates: the dates of the history end at position DAYS-1.
CUT=$(awk -F, 'NR > 1 && $3 != "" { print $2 }' "$WORK/full.csv" | sort -u | tail -n "$H" | head -n 1)
awk -F, -v OFS=, -v cut="$CUT" 'NR > 1 && $2 >= cut { $3 = "" } { print }' "$WORK/full.csv" > "$WORK/trunc.csv"
header=$(head -n 1 "$WORK/full.csv")
statics=cat,dept,item,state,store
dynamic=$(echo "$header" | tr , '\n' | sed -n '4,$p' | grep -v -E '^(cat|dept|item|state|store|weight|event_.*)$' | paste -sd,)
"$SKUCAST_BIN" ingest --csv "$WORK/trunc.csv" --dynamic "$dynamic" --static "$statics" --events auto \
  --weight-col weight --out "$WORK/trunc.h5"

t0=$(date +%s.%N)
"$SKUCAST_BIN" train --ensemble 1 --panel "$WORK/trunc.h5" --model lstm --horizon "$H" --hidden "$HIDDEN" --layers "$LAYERS" \
  --context "$CONTEXT" --epochs "$EPOCHS" --likelihood "$LIKELIHOOD" --threads "$CORES" --seed 1 --out "$WORK/lstm.h5"
t1=$(date +%s.%N)
MODELS=""
if "$SKUCAST_BIN" forecast --panel "$WORK/trunc.h5" --model lstm --checkpoint "$WORK/lstm.h5" --horizon "$H" \
     --quantiles 0.1,0.5,0.9 --out "$WORK/fc_lstm.h5" --csv "$WORK/fc_lstm.csv"; then
  MODELS="lstm"
else
  echo "deepar_accuracy: 'skucast forecast --model lstm --checkpoint' failed; scoring the baselines only" >&2
fi
t2=$(date +%s.%N)
for m in $BASELINES; do
  "$SKUCAST_BIN" forecast --panel "$WORK/trunc.h5" --model "$m" --horizon "$H" --quantiles 0.1,0.5,0.9 \
    --out "$WORK/fc_$m.h5" --csv "$WORK/fc_$m.csv" && MODELS="$MODELS $m"
done

python3 - "$WORK" "$CUT" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" $MODELS <<'EOF'
import csv, math, sys
work, cut, train_s, fc_s, models = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
hist, truth = {}, {}
with open(f"{work}/full.csv") as f:
    r = csv.reader(f); next(r)
    for row in r:
        sid, t, v = row[0], row[1], row[2]
        x = float(v) if v != "" else math.nan
        (truth if t >= cut else hist).setdefault(sid, {})[t] = x
def scale(h):
    xs = [h[t] for t in sorted(h)]
    d = [(b - a) ** 2 for a, b in zip(xs, xs[1:]) if not (math.isnan(a) or math.isnan(b))]
    return sum(d) / len(d) if d and sum(d) > 0 else None
scales = {s: scale(h) for s, h in hist.items()}
rows = []
for m in models:
    fc = {}
    with open(f"{work}/fc_{m}.csv") as f:
        r = csv.DictReader(f)
        for row in r:
            fc.setdefault(row["series_id"], {})[row["time"]] = row
    rm, pb = [], []
    for sid, tr in truth.items():
        if sid not in fc: continue
        se, pl, n = 0.0, 0.0, 0
        for t, y in tr.items():
            if math.isnan(y) or t not in fc[sid]: continue
            row = fc[sid][t]
            se += (y - float(row["mean"])) ** 2
            for lv in (0.1, 0.5, 0.9):
                q = float(row[f"q{lv}"])
                pl += (lv * (y - q) if y >= q else (1 - lv) * (q - y)) / 3
            n += 1
        if n == 0: continue
        pb.append(pl / n)
        if scales.get(sid): rm.append(math.sqrt(se / n / scales[sid]))
    rows.append((m, sum(rm) / len(rm), sum(pb) / len(pb), len(rm)))
print(f"{'model':8} {'RMSSE':>8} {'pinball':>8} {'series':>7}")
for m, r_, p_, n in rows: print(f"{m:8} {r_:8.4f} {p_:8.4f} {n:7d}")
base = [r for r in rows if r[0] != "lstm"]
lstm = [r for r in rows if r[0] == "lstm"]
if lstm and base:
    best = min(base, key=lambda r: r[1])
    print(f"RESULT deepar_accuracy rmsse_lstm={lstm[0][1]:.4f} rmsse_best={best[1]:.4f} best={best[0]} "
          f"pinball_lstm={lstm[0][2]:.4f} pinball_best={min(b[2] for b in base):.4f} train_s={train_s:.1f} "
          f"forecast_s={fc_s:.1f} ratio={best[1] / lstm[0][1]:.3f}")
else:
    print("RESULT deepar_accuracy lstm=unavailable")
EOF
