#!/usr/bin/python3
"""Generates tests/data/statsmodels_arimax.csv: statsmodels SARIMAX fits with exogenous
regressors (regression with ARIMA errors) of FIXED orders, for tests/stat/test_arimax.cpp:
  - the exact Gaussian log-likelihood at statsmodels' MLE and at a perturbed point, 1e-8;
  - forecasts and forecast standard errors with known future regressors, 1e-8;
  - skucast's own MLE (arima_fit with an ArimaXreg) against statsmodels' (loosely).

As gen_arima_fixtures.py: the ARMA part is fitted to the differenced series
w = (1-L)^d (1-L^m)^D y, here as SARIMAX(w, exog = [1 (constant), xd]) with xd the regressors
differenced the same way (R's Arima(xreg =) / statsmodels' simple_differencing). Forecasts
come from the undifferenced SARIMAX(y, exog = [1 or t (constant), x]) filtered at the same
parameters, given the regressors' future rows. ssm.tolerance = 0 (the exact filter; Note
[statsmodels steady-state shortcut] in gen_arima_fixtures.py).

Data: statsmodels' macrodata (US quarterly: inflation, unemployment, real interest rate, log
real consumption and disposable income) and monthly co2 (1978-1998) with a seeded promotion-like flag and
price-like covariate added (documented in cases()). The last h rows of each data set are the
forecast period: the regressors' future rows come from there.

Usage: /usr/bin/python3 tests/py/gen_arimax_fixtures.py [OUT.csv]
The statsmodels version used is recorded in the file's first line.

Format: '#' comment lines, a header, one row per case; vector fields ';'-joined. params in
statsmodels' order: [const], beta (k), ar (p), ma (q), seasonal ar (P), seasonal ma (Q), sigma2.
x holds the regressors row-major [n + h, k].
"""
import os
import sys
import warnings

import numpy as np
import statsmodels
import statsmodels.api as sm
from statsmodels.tsa.statespace.sarimax import SARIMAX

warnings.simplefilter("ignore")

H = 12


def data():
    mac = sm.datasets.macrodata.load_pandas().data
    co2m = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate().to_numpy(float)[240:480 + H]
    rng = np.random.default_rng(7)
    promo = (rng.random(len(co2m)) < 0.2).astype(float)
    price = 3.0 + 0.3 * rng.standard_normal(len(co2m))
    out = {
        "infl": (mac["infl"].to_numpy(float), np.column_stack([mac["unemp"], mac["realint"]])),
        "lcons": (100.0 * np.log(mac["realcons"].to_numpy(float)),
                  np.column_stack([100.0 * np.log(mac["realdpi"].to_numpy(float)), mac["tbilrate"]])),
        "lcons1": (100.0 * np.log(mac["realcons"].to_numpy(float)),
                   np.column_stack([100.0 * np.log(mac["realdpi"].to_numpy(float))])),
        # co2 plus a promotion lift of 0.8 ppm and a price effect of -0.5 per unit (synthetic).
        "co2_promo": (co2m + 0.8 * promo - 0.5 * (price - 3.0), np.column_stack([promo, price])),
    }
    return out


def cases():
    # (case, data, (p, d, q), (P, D, Q, m), constant)
    return [
        ("arx100c_infl", "infl", (1, 0, 0), (0, 0, 0, 1), True),
        ("arimax111_lcons", "lcons", (1, 1, 1), (0, 0, 0, 1), False),
        ("arimax011drift_lcons", "lcons1", (0, 1, 1), (0, 0, 0, 1), True),
        ("airline_co2_promo", "co2_promo", (0, 1, 1), (0, 1, 1, 12), False),
        ("arma11c_infl", "infl", (1, 0, 1), (0, 0, 0, 1), True),
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
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "statsmodels_arimax.csv")
    sets = data()
    rows = []
    for case, key, (p, d, q), (P, D, Q, m), const in cases():
        yall, xall = sets[key]
        n = len(yall) - H
        y, x = yall[:n], xall[:n]
        k = x.shape[1]
        w = difference(y, d, D, m)
        xd = np.column_stack([difference(x[:, j], d, D, m) for j in range(k)])
        ex = np.column_stack([np.ones(len(w)), xd]) if const else xd
        seas = (P, 0, Q, m) if m > 1 else (0, 0, 0, 0)
        mod = SARIMAX(w, exog=ex, order=(p, 0, q), seasonal_order=seas, trend="n")
        mod.ssm.tolerance = 0.0
        res = mod.fit(method="lbfgs", maxiter=5000, disp=False)
        res = mod.fit(start_params=res.params, method="nm", maxiter=20000, disp=False)
        res = mod.fit(start_params=res.params, method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
        par = np.asarray(res.params, float)
        llf = float(mod.loglike(par))
        alt = par.copy()
        alt[:-1] = alt[:-1] * 0.9
        alt[-1] = alt[-1] * 1.2
        llf_alt = float(mod.loglike(alt))
        if const and d + D == 0:
            c_in, c_out = np.ones((n, 1)), np.ones((H, 1))
        elif const:
            c_in, c_out = np.arange(1, n + 1, dtype=float)[:, None], np.arange(n + 1, n + H + 1, dtype=float)[:, None]
        else:
            c_in = c_out = np.zeros((n, 0)), np.zeros((H, 0))
            c_in, c_out = c_in
        exf = np.column_stack([c_in, x])
        exf_new = np.column_stack([c_out, xall[n:n + H]])
        full = SARIMAX(y, exog=exf, order=(p, d, q), seasonal_order=(P, D, Q, m) if m > 1 else (0, 0, 0, 0),
                       trend="n")
        full.ssm.tolerance = 0.0
        fres = full.filter(par)
        fc = fres.get_forecast(H, exog=exf_new)
        mean = np.asarray(fc.predicted_mean, float)
        se = np.asarray(fc.se_mean, float)
        fmt = lambda v: ";".join(repr(float(z)) for z in np.ravel(v))
        rows.append(",".join([case, str(p), str(d), str(q), str(P), str(D), str(Q), str(m), "1" if const else "0",
                              str(k), fmt(par), repr(llf), fmt(alt), repr(llf_alt), fmt(y), fmt(xall[:n + H]),
                              fmt(mean), fmt(se)]))
        print(case, "llf", llf, "params", par)
    with open(out, "w") as f:
        f.write(f"# statsmodels {statsmodels.__version__} numpy {np.__version__}; generated by "
                "tests/py/gen_arimax_fixtures.py\n")
        f.write("# data: statsmodels.datasets (macrodata, co2; public domain) + seeded synthetic regressors for co2\n")
        f.write("case,p,d,q,P,D,Q,m,constant,k,params,llf,params_alt,llf_alt,y,x,forecast,forecast_se\n")
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
