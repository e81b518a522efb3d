"""bench/export_csv.py — reads a panel CSV written by `skucast export` (series_id,time,value),
for bench/plan_sim.py and bench/calibration_data.py (standard library only).

  read_export(path) -> (rows, times)
      rows: every data row's (series_id, time, value) as text, in file order ("" is a missing
      value); times: the times with at least one observed value, sorted as text (the export's
      ISO dates and integer steps of equal width sort in time order).
"""
import csv


def read_export(path):
    with open(path) as f:
        rd = csv.reader(f)
        head = next(rd)
        i_id, i_t, i_v = head.index("series_id"), head.index("time"), head.index("value")
        rows = [(r[i_id], r[i_t], r[i_v]) for r in rd]
    times = sorted({t for _, t, v in rows if v != ""})
    return rows, times
