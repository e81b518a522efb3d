#!/usr/bin/python3
"""Generates tests/data/statsmodels_arima.csv: statsmodels SARIMAX fits of FIXED ARIMA orders
on real series shipped with statsmodels (unemployment and real GDP from macrodata, monthly
co2, yearly sunspots). tests/stat/test_arima.cpp checks skucast's ARIMA (engine/stat/arima/arima.h)
against it:
  - the exact Gaussian log-likelihood at given parameters (statsmodels' MLE and a perturbed
    point), 1e-8 relative;
  - forecasts and forecast standard errors at statsmodels' MLE, 1e-8 relative;
  - skucast's own MLE against statsmodels' (loosely: the optimisers differ).

The ARMA part is fitted to the differenced series w = (1-L)^d (1-L^m)^D y with a stationary
initial state (statsmodels: SARIMAX on w, i.e. simple_differencing), as R's arima does. A
constant is the mean of w (R's include.mean for d + D = 0, include.drift for d = 1), given to
SARIMAX as a column of ones. Forecasts of y and their standard errors come from the
undifferenced SARIMAX (exact diffuse initialisation of the differencing states) with the same
parameters (exog t for a drift), which equals filtering w and integrating.

Note [statsmodels steady-state shortcut]: statsmodels' Kalman filter stops updating the state
covariance once it changes by less than ssm.tolerance (1e-19), which moves the forecast
standard errors of the near-unit-root seasonal AR case by 6e-8; skucast filters exactly, so
the fixtures are generated with ssm.tolerance = 0 (the exact filter).

Usage: /usr/bin/python3 tests/py/gen_arima_fixtures.py [OUT.csv]
Run under Debian's python3-statsmodels; the version used is recorded in the file's first line.

Format: '#' comment lines, then a header and one row per case; vector fields are ';'-joined.
params in statsmodels' order: [const], ar (p), ma (q), seasonal ar (P), seasonal ma (Q), sigma2.
Sign conventions as statsmodels and R: (1 - sum ar L^i)(1 - sum sar L^im) w = (1 + sum ma
L^i)(1 + sum sma L^im) e.
"""
import os
import sys
import warnings

import numpy as np
import statsmodels
import statsmodels.api as sm
from statsmodels.tsa.statespace.sarimax import SARIMAX

warnings.simplefilter("ignore")


def series():
    mac = sm.datasets.macrodata.load_pandas().data
    co2m = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate().to_numpy(float)
    sun = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)
    return {"unemp": mac["unemp"].to_numpy(float), "lgdp": 100.0 * np.log(mac["realgdp"].to_numpy(float)),
            "co2_monthly": co2m[:240], "sunspots": sun}


def cases():
    # (case, data, (p, d, q), (P, D, Q, m), constant)
    return [
        ("arima111_unemp", "unemp", (1, 1, 1), (0, 0, 0, 1), False),
        ("airline_co2", "co2_monthly", (0, 1, 1), (0, 1, 1, 12), False),
        ("arma201c_sunspots", "sunspots", (2, 0, 1), (0, 0, 0, 1), True),
        ("arima110drift_lgdp", "lgdp", (1, 1, 0), (0, 0, 0, 1), True),
        ("sarima101_100_co2", "co2_monthly", (1, 1, 1), (1, 0, 0, 12), False),
    ]


def difference(y, d, D, m):
    w = np.asarray(y, float)
    for _ in range(d):
        w = w[1:] - w[:-1]
    for _ in range(D):
        w = w[m:] - w[:-m]
    return w


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "statsmodels_arima.csv")
    data = series()
    h = 24
    rows = []
    for case, key, (p, d, q), (P, D, Q, m), const in cases():
        y = data[key]
        n = len(y)
        w = difference(y, d, D, m)
        ex = np.ones((len(w), 1)) if const else None
        mod = SARIMAX(w, exog=ex, order=(p, 0, q), seasonal_order=(P, 0, Q, m) if m > 1 else (0, 0, 0, 0), trend="n")
        mod.ssm.tolerance = 0.0  # Note [statsmodels steady-state shortcut]
        res = mod.fit(method="lbfgs", maxiter=5000, disp=False)
        res = mod.fit(start_params=res.params, method="nm", maxiter=20000, disp=False)
        res = mod.fit(start_params=res.params, method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
        par = np.asarray(res.params, float)
        llf = float(mod.loglike(par))
        alt = par.copy()
        alt[:-1] = alt[:-1] * 0.9
        alt[-1] = alt[-1] * 1.2
        llf_alt = float(mod.loglike(alt))
        # Forecasts of y from the undifferenced model at the same parameters.
        if const and d + D == 0:
            exf, exf_new = np.ones((n, 1)), np.ones((h, 1))
        elif const:
            exf, exf_new = np.arange(1, n + 1, dtype=float)[:, None], np.arange(n + 1, n + h + 1, dtype=float)[:, None]
        else:
            exf = exf_new = None
        full = SARIMAX(y, exog=exf, order=(p, d, q), seasonal_order=(P, D, Q, m) if m > 1 else (0, 0, 0, 0), trend="n")
        full.ssm.tolerance = 0.0
        fres = full.filter(par)
        fc = fres.get_forecast(h, exog=exf_new)
        mean = np.asarray(fc.predicted_mean, float)
        se = np.asarray(fc.se_mean, float)
        fmt = lambda v: ";".join(repr(float(x)) for x in v)
        rows.append(",".join([case, str(p), str(d), str(q), str(P), str(D), str(Q), str(m), "1" if const else "0",
                              fmt(par), repr(llf), fmt(alt), repr(llf_alt), fmt(y), fmt(mean), fmt(se)]))
        print(case, "llf", llf, "params", par)
    with open(out, "w") as f:
        f.write(f"# statsmodels {statsmodels.__version__} numpy {np.__version__}; generated by tests/py/gen_arima_fixtures.py\n")
        f.write("# data: statsmodels.datasets (macrodata, co2, sunspots), public domain / BSD\n")
        f.write("case,p,d,q,P,D,Q,m,constant,params,llf,params_alt,llf_alt,y,forecast,forecast_se\n")
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
