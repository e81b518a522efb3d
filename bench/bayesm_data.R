#!/usr/bin/Rscript
# bench/bayesm_data.R — two more real weekly retail panels with promotion covariates from R's
# bayesm package, split as bench/oj_data.R splits orange juice (bench/bayesm_real.sh uses them).
#   Rscript bayesm_data.R OUTDIR [H=12]
# writes OUTDIR/{tuna,tuna_early,cheese}/{panel,actual}.csv. panel.csv is skucast ingest's long
# format; actual.csv is series_id,time,step,actual, one row per held-out week the series was
# observed, step = week - (last history week). The last H weeks of each panel are held out:
# their value is empty and their covariates are known (the panel's future part). A week with no
# record has an empty value (read as missing).
#
# tuna (bayesm::tuna; Chevalier, Kashyap and Rossi 2003): Dominick's chain-level weekly sales of
#   7 canned-tuna UPCs (1 Star Kist 6 oz, 2 Chicken of the Sea 6 oz, 3 Bumble Bee Solid 6.12 oz,
#   4 Bumble Bee Chunk 6.12 oz, 5 Geisha 6 oz, 6 Bumble Bee Large Cans, 7 HH Chunk Lite 6.5 oz).
#   panel.csv: series_id (b1..b7), time (WEEK), value (MOVE<b>, units), price (exp(LPRICE<b>),
#   $ per can), nsale (NSALE<b>, display activity in [0, 1]), brand (static, 1..7); ingest with
#   --dynamic price,nsale --static brand --freq 1 --season-length 1.
#   338 of the weeks 1..398 have a record (all 7 brands at once); the 60 weeks without one (a
#   40-week gap 332..371 and eight of 1 to 4 weeks) have empty values, the last known price and
#   nsale 0 (as oj_data.R treats a week with no record). Two splits:
#   OUTDIR/tuna: the last H calendar weeks, with the cut moved back to the last week with a
#     record when it falls in a gap: skucast's forecast origin is the panel's last week with a
#     value (later rows are its future part), so a cut in a gap would shift every step. For
#     H = 12 the cut at 386 moves to 383: history weeks 1..383 (329 with a record), held out
#     384..395 (6 with a record: 388..391, 394, 395); weeks 396..398 are dropped.
#   OUTDIR/tuna_early: the H weeks before the 40-week gap: history 1..319 (305 with a record),
#     held out 320..331 (all with a record); later weeks are dropped.
#   Not used: LWHPRIC<b> (wholesale price) and FULLCUST (store traffic, not known ahead).
#
# cheese (bayesm::cheese; Boatwright, McCulloch and Rossi 1999): weekly unit sales of Borden
#   sliced cheese at 88 retailers (key accounts), with DISP (share of ACV on display) and PRICE ($).
#   bayesm documents the data as weekly but gives no week column, so the week is derived from the
#   row order: the 5,555 rows are stacked week by week, each week's block listing the retailers in
#   one fixed order (taken from a week with all 88), so a new week starts wherever a row's
#   retailer comes earlier in that order than the previous row's. This splits the rows into
#   exactly 68 blocks with no retailer twice in a block, and gives every retailer one unbroken
#   run of weeks: 28 retailers weeks 1..68, 59 weeks 1..61, one (DALLAS/FT. WORTH - WINN DIXIE)
#   weeks 13..64, which matches the per-retailer row counts (68, 61, 52). Within a retailer in
#   this order, log price, log volume and display have a mean lag-1 autocorrelation of about
#   0.5, 0.4 and 0.5 (about 0 for a random row order; printed below), so the rows are in time
#   order. The panel ends at week 61, the last week that 87 of the 88 retailers have; weeks
#   62..68 (29 retailers only; the other 59 would need invented covariates there) are dropped.
#   For H = 12 the history is weeks 1..49 and weeks 50..61 are held out, all 12 observed for
#   every retailer.
#   panel.csv: series_id (r01..r88, retailers in alphabetical order; OUTDIR/cheese/retailers.csv
#   maps id to name), time (derived week 1..61; Winn Dixie's weeks 1..12 have empty values, its
#   first price and disp 0), value (VOLUME, units), price (PRICE, $), disp (DISP), market
#   (static: the city part of the retailer's name, 46 markets), retailer (static, 1..88); ingest
#   with --dynamic price,disp --static market,retailer --freq 1 --season-length 1.
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
H <- if (length(args) >= 2) as.integer(args[2]) else 12L
suppressMessages(library(bayesm))

locf <- function(x) {  # last observation carried forward, leading gap back-filled
  for (k in seq_along(x)) if (is.na(x[k]) && k > 1) x[k] <- x[k - 1]
  if (is.na(x[1])) x[is.na(x)] <- x[which(!is.na(x))[1]]
  x
}
write_panel <- function(sub, rows, act) {
  out <- file.path(dir, sub); dir.create(out, recursive = TRUE, showWarnings = FALSE)
  write.csv(do.call(rbind, rows), file.path(out, "panel.csv"), row.names = FALSE, quote = FALSE)
  write.csv(do.call(rbind, act), file.path(out, "actual.csv"), row.names = FALSE, quote = FALSE)
  out
}

# --- tuna --------------------------------------------------------------------------------------
data(tuna)
tuna_split <- function(sub, last_hist) {  # history weeks 1..last_hist, held out the next H weeks
  weeks <- seq(min(tuna$WEEK), last_hist + H)
  m <- match(weeks, tuna$WEEK)
  stopifnot(!is.na(m[weeks == last_hist]))  # the forecast origin is a week with a record
  rows <- list(); act <- list()
  for (b in 1:7) {
    units <- tuna[[paste0("MOVE", b)]][m]
    price <- locf(exp(tuna[[paste0("LPRICE", b)]][m]))
    nsale <- ifelse(is.na(m), 0, tuna[[paste0("NSALE", b)]][m])
    hist <- weeks <= last_hist
    id <- sprintf("b%d", b)
    rows[[b]] <- data.frame(series_id = id, time = weeks,
                            value = ifelse(hist & !is.na(units), sprintf("%d", units), ""),
                            price = sprintf("%.8f", price), nsale = sprintf("%.8f", nsale), brand = b)
    fut <- !hist & !is.na(units)
    act[[b]] <- data.frame(series_id = rep(id, sum(fut)), time = weeks[fut], step = weeks[fut] - last_hist,
                           actual = sprintf("%d", units[fut]))
  }
  invisible(write_panel(sub, rows, act))
  cat(sprintf("bayesm_data: %s: 7 series, history weeks %d..%d (%d with a record), held out %d..%d (%d with a record: %s)%s\n",
              sub, min(weeks), last_hist, sum(!is.na(m) & weeks <= last_hist), last_hist + 1, last_hist + H,
              sum(!is.na(m) & weeks > last_hist), paste(weeks[!is.na(m) & weeks > last_hist], collapse = " "),
              if (last_hist + H < max(tuna$WEEK)) sprintf(", weeks %d..%d dropped", last_hist + H + 1, max(tuna$WEEK)) else ""))
}
# the last H calendar weeks, moved back to the last week with a record when the cut falls in a gap
tuna_split("tuna", max(tuna$WEEK[tuna$WEEK <= max(tuna$WEEK) - H]))
# the H weeks before the 40-week gap (332..371), every one with a record
gap_start <- tuna$WEEK[which.max(diff(tuna$WEEK))] + 1
tuna_split("tuna_early", gap_start - 1 - H)

# --- cheese ------------------------------------------------------------------------------------
data(cheese)
ret <- as.character(cheese$RETAILER)
n_ret <- length(unique(ret))
# the fixed within-week order: cut the rows into runs at each repeated retailer; the first run
# that lists every retailer is one whole week
run <- integer(length(ret)); k <- 1L; seen <- character(0)
for (i in seq_along(ret)) { if (ret[i] %in% seen) { k <- k + 1L; seen <- character(0) }; seen <- c(seen, ret[i]); run[i] <- k }
canon <- ret[run == as.integer(names(which(table(run) == n_ret))[1])]
rank <- match(ret, canon)
week <- cumsum(c(1L, diff(rank) < 0))
stopifnot(!any(duplicated(paste(ret, week))))                       # a retailer once per week
stopifnot(all(tapply(week, ret, function(w) all(diff(w) == 1))))     # one unbroken run each
ac <- function(x) if (sd(x) > 0) cor(x[-1], x[-length(x)]) else NA
lag1 <- function(ord) rowMeans(sapply(split(ord, ret[ord]), function(i)
  c(ac(log(cheese$PRICE[i])), ac(log(cheese$VOLUME[i])), ac(cheese$DISP[i]))), na.rm = TRUE)
set.seed(1)
cat(sprintf("bayesm_data: cheese: %d rows, %d retailers, %d derived weeks; mean lag-1 autocorrelation within a retailer (log price, log volume, display): %s in row order, %s in a random order\n",
            nrow(cheese), n_ret, max(week), paste(sprintf("%.2f", lag1(seq_len(nrow(cheese)))), collapse = "/"),
            paste(sprintf("%.2f", lag1(sample(nrow(cheese)))), collapse = "/")))
span <- tapply(week, ret, function(w) paste(min(w), max(w), sep = ".."))
cat("bayesm_data: cheese: retailers per week span:", paste(names(table(span)), table(span), sep = " x", collapse = ", "), "\n")
# the panel ends at the last week that all but at most one retailer reach
ends <- tapply(week, ret, max)
end_week <- sort(ends, decreasing = TRUE)[n_ret - 1]
last_hist <- end_week - H
names_sorted <- sort(unique(ret))
ids <- sprintf("r%02d", seq_along(names_sorted))
markets <- sort(unique(sub(" - .*", "", names_sorted)))
weeks <- seq(1L, end_week)
rows <- list(); act <- list()
for (i in seq_along(names_sorted)) {
  s <- cheese[ret == names_sorted[i], ]; w <- week[ret == names_sorted[i]]
  keep <- w <= end_week; s <- s[keep, ]; w <- w[keep]
  tw <- weeks                             # every week; before a retailer's first one, empty values
  mm <- match(tw, w)
  hist <- tw <= last_hist
  rows[[i]] <- data.frame(series_id = ids[i], time = tw,
                          value = ifelse(hist & !is.na(mm), sprintf("%d", s$VOLUME[mm]), ""),
                          price = sprintf("%.6f", locf(s$PRICE[mm])), disp = sprintf("%.8f", ifelse(is.na(mm), 0, s$DISP[mm])),
                          market = match(sub(" - .*", "", names_sorted[i]), markets), retailer = i)
  fut <- !hist & !is.na(mm)
  act[[i]] <- data.frame(series_id = rep(ids[i], sum(fut)), time = tw[fut], step = tw[fut] - last_hist,
                         actual = sprintf("%d", s$VOLUME[mm][fut]))
}
out <- write_panel("cheese", rows, act)
write.csv(data.frame(series_id = ids, retailer = names_sorted, market = sub(" - .*", "", names_sorted)),
          file.path(out, "retailers.csv"), row.names = FALSE)
cat(sprintf("bayesm_data: cheese: %d series (%d markets), weeks 1..%d (weeks %d..%d, %d retailers only, dropped), history 1..%d, held out %d..%d (%d values)\n",
            length(ids), length(markets), end_week, end_week + 1, max(week), sum(ends > end_week), last_hist, last_hist + 1, end_week,
            sum(sapply(act, nrow))))
