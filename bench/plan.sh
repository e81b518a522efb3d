#!/usr/bin/env bash
# skucast plan: a periodic-review simulation with backorders over a synthetic catalog's held-out days: achieved cycle service, fill rate and average stock of the order-up-to levels from ETS + conformal (demand over L+R from the cumulative quantiles), ETS's own quantiles and seasonal naive.
#
# Usage: bench/run.sh plan   (env: BUILD; SYNTH_SERIES=500 SYNTH_DAYS=700; HOLDOUT=56; L=7 R=7;
# LEVEL=0.95; QUANTILES=0.05,0.1,0.5,0.9,0.95,0.99 the forecasts' levels; POLICIES=a,b runs
# a subset of plan_sim.py's policies; KEEP=dir keeps the files). bench/plan_sim.py runs the simulation: a review every R
# days over the last HOLDOUT days, each re-forecasting from the panel cut at that day (rolling
# origin) and setting S with `skucast plan`; orders of S − inventory position arrive after L
# days; unmet demand is backordered. Policies: ETS + conformal with D from the file's cumulative
# quantiles (the default rule) and with the steps taken as independent (`plan --steps
# independent`, the rule before them), ETS with its own quantiles, seasonal naive with its own;
# each with --service cycle and --service fill at the same target. No peer offers stock levels.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
L=${L:-7}; R=${R:-7}; LEVEL=${LEVEL:-0.95}; HOLDOUT=${HOLDOUT:-56}
NS=${SYNTH_SERIES:-500}; ND=${SYNTH_DAYS:-700}
"$BIN" synth --series "$NS" --days "$ND" --seed 11 --out "$WORK/synth_full.h5" > /dev/null 2>&1
"$BIN" export "$WORK/synth_full.h5" --csv "$WORK/synth_full.csv" > /dev/null 2>&1
"$PY" "$HERE/plan_sim.py" "$BIN" "$WORK/synth_full.csv" "$WORK" "$HOLDOUT" "$L" "$R" "$LEVEL" | tee "$WORK/sim.txt"
# ratio: achieved ÷ target fill rate of ETS + conformal with cumulative D, --service fill (1: on
# target); stock_vs_*: its average stock ÷ that of the alternative at the same target (< 1: less).
"$PY" - "$WORK/sim.txt" "$LEVEL" <<'PYEOF'
import sys
res = {}
for line in open(sys.argv[1]):
    if line.startswith("SUMMARY "):
        for item in line.split()[1:]:
            k, v = item.split("=")
            res[k] = [float(x) for x in v.split(",")]
t = float(sys.argv[2])
new = res["ets_conformal_cumulative_fill"]
parts = [f"{k}={v[0]:.4f}/{v[1]:.4f}/{v[2]:.3f}" for k, v in res.items()]
vs = [f"stock_vs_{a}={new[2] / res[a + '_fill'][2]:.3f}" for a in ("ets_conformal_independent", "ets_own", "snaive_own")
      if a + "_fill" in res]  # POLICIES may run a subset
print("RESULT plan " + " ".join(parts) + " " + " ".join(vs) + f" ratio={new[1] / t:.4f}")
PYEOF
