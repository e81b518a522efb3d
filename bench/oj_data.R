#!/usr/bin/Rscript
# bench/oj_data.R — the one split of Dominick's orange juice (bayesm::orangeJuice) that every
# orange-juice benchmark uses (bench/deepar_oj.sh, bench/arimax_oj.sh).
#   Rscript oj_data.R OUTDIR [H=12]
# writes OUTDIR/panel.csv (skucast ingest, long format: series_id,time,value,price,deal,feat,
# store,brand; ingest with --dynamic price,deal,feat --static store,brand --freq 1
# --season-length 1) and OUTDIR/actual.csv (series_id,time,step,actual).
# Series: all 913 store x brand series (83 stores x 11 brands, weeks 40..160, 87..121 weeks
# each: a week with no sales record has an empty value, read as missing). The last H weeks (149..160 for
# H = 12) are held out: their value is empty and their covariates are known (the panel's future
# part); the history is weeks 40..148 (109 weeks). Target: units = exp(logmove).
# Covariates: price = the brand's own price in that store and week (price<brand>, $/oz; any
# row of the store-week carries every brand's price, so a week a brand did not sell still has
# its price; a store-week with no row at all repeats the last known price), deal (in-store
# coupon) and feat (feature advertising), 0 in a week with no row of that brand.
# actual.csv lists every held-out week the series was observed; step = week - (T_last).
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
H <- if (length(args) >= 2) as.integer(args[2]) else 12L
suppressMessages(library(bayesm))
data(orangeJuice)
d <- orangeJuice$yx
weeks <- seq(min(d$week), max(d$week))
last_hist <- max(weeks) - H
d$id <- sprintf("s%03d_b%02d", d$store, d$brand)
ids <- sort(unique(d$id))
store_week <- d[!duplicated(paste(d$store, d$week)), ]  # one row per store-week: every brand's price
rows <- vector("list", length(ids)); act <- vector("list", length(ids))
for (i in seq_along(ids)) {
  s <- d[d$id == ids[i], ]
  store <- s$store[1]; brand <- s$brand[1]
  sw <- store_week[store_week$store == store, ]
  price_by_week <- sw[[paste0("price", brand)]][match(weeks, sw$week)]
  # carry the last known price over store-weeks with no row (and back-fill leading gaps)
  for (k in seq_along(price_by_week)) if (is.na(price_by_week[k]) && k > 1) price_by_week[k] <- price_by_week[k - 1]
  if (is.na(price_by_week[1])) price_by_week[is.na(price_by_week)] <- price_by_week[which(!is.na(price_by_week))[1]]
  m <- match(weeks, s$week)
  units <- exp(s$logmove[m])
  deal <- ifelse(is.na(m), 0, s$deal[m]); feat <- ifelse(is.na(m), 0, s$feat[m])
  hist <- weeks <= last_hist
  value <- ifelse(hist & !is.na(m), sprintf("%.6f", units), "")  # a missing week: empty value, known covariates
  rows[[i]] <- data.frame(series_id = ids[i], time = weeks, value = value, price = sprintf("%.8f", price_by_week),
                          deal = deal, feat = sprintf("%.6f", feat), store = sprintf("%d", store),
                          brand = sprintf("%d", brand))
  fut <- !hist & !is.na(m)
  act[[i]] <- data.frame(series_id = rep(ids[i], sum(fut)), time = weeks[fut], step = weeks[fut] - last_hist,
                         actual = sprintf("%.6f", units[fut]))
}
write.csv(do.call(rbind, rows), file.path(dir, "panel.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, act), file.path(dir, "actual.csv"), row.names = FALSE, quote = FALSE)
cat("oj_data:", length(ids), "series, history weeks", min(weeks), "..", last_hist, ", held out", H, "weeks\n")
