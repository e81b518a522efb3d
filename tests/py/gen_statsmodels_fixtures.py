#!/usr/bin/python3
"""Generates tests/data/statsmodels_es.csv: fitted values and forecasts of statsmodels'
Holt-Winters family (ExponentialSmoothing, which covers SimpleExpSmoothing and Holt) and of
its state-space ETSModel, with FIXED parameters and known initial states, on real series
shipped with statsmodels (sunspots, macrodata, co2, elnino). tests/stat/test_ets.cpp checks
skucast's ETS recursion against it (1e-8 relative).

Note [statsmodels Holt-Winters forecast at h = m]: statsmodels 0.13's
ExponentialSmoothing.forecast uses, at horizons h = m, 2m, ..., the seasonal term of the
previous cycle instead of the one updated by the last observation (its fitted values are
right). ETSModel, R's forecast::ets and skucast use the updated term. The fixture keeps
both: `forecast` from ETSModel (all horizons compared) and `forecast_hw` from
ExponentialSmoothing (compared at h not a multiple of m). With a multiplicative season
ETSModel's recursion differs from Holt-Winters' (and from R's ets, whose update
s_t = s_{t-m} + gamma (y_t / (l_{t-1} + phi b_{t-1}) - s_{t-m}) skucast follows), so for those cases only
`fitted` and `forecast_hw` are compared.

Usage: /usr/bin/python3 tests/py/gen_statsmodels_fixtures.py [OUT.csv]
Run under Debian's python3-statsmodels; the version used is recorded in the file's first line.

Format: '#' comment lines, then a header and one row per case; vector fields are ';'-joined.
beta is statsmodels' smoothing_trend (Holt's beta*); skucast's ETS beta = alpha * beta*.
initial_seasonal[j] is the seasonal term of y[j] (j < m), statsmodels' order.
"""
import os
import sys
import warnings

import numpy as np
import statsmodels
import statsmodels.api as sm
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing

warnings.simplefilter("ignore")


def series():
    sun = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)[:120]
    gdp = sm.datasets.macrodata.load_pandas().data["realgdp"].to_numpy(float)[:120]
    co2w = sm.datasets.co2.load_pandas().data["co2"]
    co2m = co2w.resample("MS").mean().interpolate().to_numpy(float)[:180]
    co2q = co2w.resample("QS").mean().interpolate().to_numpy(float)[:80]
    nino = sm.datasets.elnino.load_pandas().data.iloc[:, 1:].to_numpy(float).ravel()[:240]
    return {"sunspots": (sun, 1), "realgdp": (gdp, 4), "co2_monthly": (co2m, 12),
            "co2_quarterly": (co2q, 4), "elnino": (nino, 12)}


def cases():
    # (case, data, trend, damped, seasonal, alpha, beta*, gamma, phi)
    return [
        ("ses_sunspots", "sunspots", None, False, None, 0.6, 0, 0, 1),
        ("ses_gdp_low_alpha", "realgdp", None, False, None, 0.05, 0, 0, 1),
        ("holt_gdp", "realgdp", "add", False, None, 0.8, 0.2, 0, 1),
        ("damped_gdp", "realgdp", "add", True, None, 0.7, 0.3, 0, 0.9),
        ("ana_elnino", "elnino", None, False, "add", 0.4, 0, 0.3, 1),
        ("hw_add_co2", "co2_monthly", "add", False, "add", 0.5, 0.1, 0.2, 1),
        ("hw_add_damped_co2", "co2_monthly", "add", True, "add", 0.3, 0.2, 0.1, 0.95),
        ("hw_mul_co2", "co2_monthly", "add", False, "mul", 0.5, 0.1, 0.2, 1),
        ("hw_mul_damped_co2q", "co2_quarterly", "add", True, "mul", 0.6, 0.3, 0.25, 0.85),
        ("mnm_elnino", "elnino", None, False, "mul", 0.35, 0, 0.15, 1),
    ]


def initial_states(y, m, trend, seasonal):
    """Reasonable known initial states: first-cycle means and differences."""
    if seasonal:
        l0 = float(np.mean(y[:m]))
        b0 = float((np.mean(y[m:2 * m]) - np.mean(y[:m])) / m) if trend else 0.0
        s = y[:m] - l0 if seasonal == "add" else y[:m] / l0
        return l0, b0, [float(v) for v in s]
    l0 = float(y[0])
    b0 = float(y[1] - y[0]) if trend else 0.0
    return l0, b0, []


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "statsmodels_es.csv")
    data = series()
    h = 24
    rows = []
    for case, key, trend, damped, seasonal, alpha, beta, gamma, phi in cases():
        y, m = data[key]
        if not seasonal:
            m = 1
        l0, b0, s0 = initial_states(y, m, trend, seasonal)
        model = ExponentialSmoothing(
            y, trend=trend, damped_trend=damped, seasonal=seasonal,
            seasonal_periods=m if seasonal else None, initialization_method="known",
            initial_level=l0, initial_trend=b0 if trend else None,
            initial_seasonal=s0 if seasonal else None)
        kw = {"smoothing_level": alpha, "optimized": False}
        if trend:
            kw["smoothing_trend"] = beta
        if seasonal:
            kw["smoothing_seasonal"] = gamma
        if damped:
            kw["damping_trend"] = phi
        res = model.fit(**kw)
        fitted = np.asarray(res.fittedvalues, float)
        fc_hw = np.asarray(res.forecast(h), float)
        # The same model in state-space form (beta = alpha * beta*).
        ets = ETSModel(y, error="mul" if seasonal == "mul" else "add", trend=trend, damped_trend=damped,
                       seasonal=seasonal, seasonal_periods=m if seasonal else None,
                       initialization_method="known", initial_level=l0,
                       initial_trend=b0 if trend else None, initial_seasonal=s0 if seasonal else None)
        fix = {"smoothing_level": alpha}
        if trend:
            fix["smoothing_trend"] = alpha * beta
        if seasonal:
            fix["smoothing_seasonal"] = gamma
        if damped:
            fix["damping_trend"] = phi
        with ets.fix_params(fix):
            eres = ets.fit(disp=False)
        fc = np.asarray(eres.forecast(h), float)
        if seasonal != "mul":
            assert np.allclose(np.asarray(eres.fittedvalues, float), fitted, rtol=1e-10), case
        fmt = lambda v: ";".join(repr(float(x)) for x in v)
        err = {"add": "A", "mul": "M", None: "N"}
        rows.append(",".join([
            case, "A", "A" if trend else "N", "1" if damped else "0", err[seasonal], str(m),
            repr(alpha), repr(beta), repr(gamma), repr(phi), repr(l0), repr(b0), fmt(s0),
            fmt(y), fmt(fitted), fmt(fc), fmt(fc_hw)]))
    with open(out, "w") as f:
        f.write(f"# statsmodels {statsmodels.__version__} numpy {np.__version__}; generated by tests/py/gen_statsmodels_fixtures.py\n")
        f.write("# data: statsmodels.datasets (sunspots, macrodata, co2, elnino), public domain / BSD\n")
        f.write("case,error,trend,damped,season,m,alpha,beta_star,gamma,phi,l0,b0,initial_seasonal,y,fitted,forecast,forecast_hw\n")
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
