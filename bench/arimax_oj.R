#!/usr/bin/Rscript
# bench/arimax_oj.R — helper of bench/arimax_oj.sh (Dominick's orange juice, bayesm::orangeJuice).
#   Rscript arimax_oj.R prepare OUTDIR N_SERIES H   writes OUTDIR/panel.csv (skucast ingest: the
#       last H weeks have an empty value and known price/deal/feat) and OUTDIR/actual.csv;
#   Rscript arimax_oj.R peer OUTDIR H               R's auto.arima(units, xreg = price,deal,feat),
#       the same with log(price), with log(price) on the log scale (lambda = 0, biasadj = TRUE),
#       and auto.arima without xreg → OUTDIR/r_forecast.csv
#       (series_id,step,model,mean) + timing (a failing xreg fit falls back to no xreg, counted);
#   Rscript arimax_oj.R score OUTDIR H FILE...      sMAPE / MASE / RMSE per model over the
#       holdout (MASE scaled by the in-sample lag-1 naive MAE), mean over series.
# Series: store x brand with all 121 weeks (40..160) observed; target = units = exp(logmove);
# regressors = own price (price<brand>, $/oz), deal (in-store coupon), feat (feature ad).
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]; dir <- args[2]
suppressMessages(library(forecast))

if (mode == "prepare") {
  suppressMessages(library(bayesm))
  n_series <- as.integer(args[3]); H <- as.integer(args[4])
  data(orangeJuice)
  d <- orangeJuice$yx
  d$id <- sprintf("s%03d_b%02d", d$store, d$brand)
  full <- names(which(table(d$id) == 121))
  full <- full[order(full)]
  # every k-th complete series, so stores and brands are spread
  pick <- full[unique(round(seq(1, length(full), length.out = min(n_series, length(full)))))]
  rows <- list(); act <- list()
  for (id in pick) {
    s <- d[d$id == id, ]
    s <- s[order(s$week), ]
    b <- s$brand[1]
    price <- s[[paste0("price", b)]]
    units <- exp(s$logmove)
    n <- nrow(s); T <- n - H
    value <- sprintf("%.6f", units); value[(T + 1):n] <- ""
    rows[[id]] <- data.frame(series_id = id, time = s$week, value = value, price = sprintf("%.8f", price),
                             deal = s$deal, feat = sprintf("%.6f", s$feat))
    act[[id]] <- data.frame(series_id = id, step = 1:H, actual = units[(T + 1):n])
  }
  write.csv(do.call(rbind, rows), file.path(dir, "panel.csv"), row.names = FALSE, quote = FALSE)
  write.csv(do.call(rbind, act), file.path(dir, "actual.csv"), row.names = FALSE, quote = FALSE)
  cat("prepared", length(pick), "series of", length(full), "complete store x brand series\n")
} else if (mode == "peer") {
  H <- as.integer(args[3])
  p <- read.csv(file.path(dir, "panel.csv"), stringsAsFactors = FALSE)
  out <- list(); t_x <- 0; t_l <- 0; t_y <- 0; t_p <- 0; n_fail <- 0
  for (id in unique(p$series_id)) {
    s <- p[p$series_id == id, ]
    T <- sum(!is.na(s$value))
    y <- ts(s$value[1:T])
    X <- as.matrix(s[, c("price", "deal", "feat")])
    Xtr <- X[1:T, , drop = FALSE]; Xf <- X[(T + 1):(T + H), , drop = FALSE]
    # auto.arima refuses constant / rank-deficient xreg columns: drop them as skucast does.
    keep <- apply(Xtr, 2, function(v) length(unique(v)) > 1)
    Xtr <- Xtr[, keep, drop = FALSE]; Xf <- Xf[, keep, drop = FALSE]
    fit_x <- function(Xtr, Xf) {
      tryCatch({
        fit <- auto.arima(y, xreg = Xtr)
        as.numeric(forecast(fit, xreg = Xf, h = H)$mean)
      }, error = function(e) {
        n_fail <<- n_fail + 1
        as.numeric(forecast(auto.arima(y), h = H)$mean)
      })
    }
    t0 <- proc.time()[["elapsed"]]
    fx <- fit_x(Xtr, Xf)
    t_x <- t_x + proc.time()[["elapsed"]] - t0
    # the same with log(price), as skucast's --regressors price:log
    Ltr <- Xtr; Lf <- Xf
    if ("price" %in% colnames(Ltr)) { Ltr[, "price"] <- log(Ltr[, "price"]); Lf[, "price"] <- log(Lf[, "price"]) }
    t0 <- proc.time()[["elapsed"]]
    fl <- fit_x(Ltr, Lf)
    t_l <- t_l + proc.time()[["elapsed"]] - t0
    # log scale (skucast --transform log): lambda = 0 with R's bias-adjusted mean
    t0 <- proc.time()[["elapsed"]]
    fy <- tryCatch(as.numeric(forecast(auto.arima(y, xreg = Ltr, lambda = 0, biasadj = TRUE), xreg = Lf, h = H)$mean),
                   error = function(e) {
                     n_fail <<- n_fail + 1
                     as.numeric(forecast(auto.arima(y, lambda = 0, biasadj = TRUE), h = H)$mean)
                   })
    t_y <- t_y + proc.time()[["elapsed"]] - t0
    t0 <- proc.time()[["elapsed"]]
    fp <- as.numeric(forecast(auto.arima(y), h = H)$mean)
    t_p <- t_p + proc.time()[["elapsed"]] - t0
    out[[id]] <- rbind(data.frame(series_id = id, step = 1:H, model = "r_arimax", mean = fx),
                       data.frame(series_id = id, step = 1:H, model = "r_arimax_logprice", mean = fl),
                       data.frame(series_id = id, step = 1:H, model = "r_arimax_logprice_logy", mean = fy),
                       data.frame(series_id = id, step = 1:H, model = "r_arima", mean = fp))
  }
  write.csv(do.call(rbind, out), file.path(dir, "r_forecast.csv"), row.names = FALSE, quote = FALSE)
  cat(sprintf("r_seconds arimax=%.2f arimax_logprice=%.2f arimax_logprice_logy=%.2f arima=%.2f xreg_failures=%d\n",
              t_x, t_l, t_y, t_p, n_fail))
} else if (mode == "score") {
  H <- as.integer(args[3])
  files <- args[4:length(args)]
  p <- read.csv(file.path(dir, "panel.csv"), stringsAsFactors = FALSE)
  act <- read.csv(file.path(dir, "actual.csv"), stringsAsFactors = FALSE)
  fc <- do.call(rbind, lapply(files, function(f) {
    x <- read.csv(f, stringsAsFactors = FALSE)
    if (!"model" %in% names(x)) x$model <- sub("\\.csv$", "", basename(f))
    x[, c("series_id", "step", "model", "mean")]
  }))
  res <- list()
  for (m in unique(fc$model)) {
    sm <- c(); ma <- c(); rm <- c()
    for (id in unique(act$series_id)) {
      a <- act$actual[act$series_id == id]
      f <- fc[fc$model == m & fc$series_id == id, ]
      f <- f$mean[order(f$step)]
      y <- p$value[p$series_id == id]; y <- y[!is.na(y)]
      scale <- mean(abs(diff(y)))
      sm <- c(sm, mean(200 * abs(a - f) / (abs(a) + abs(f))))
      ma <- c(ma, mean(abs(a - f)) / scale)
      rm <- c(rm, sqrt(mean((a - f)^2)))
    }
    res[[m]] <- data.frame(model = m, series = length(sm), smape = mean(sm), mase = mean(ma), rmse = mean(rm))
  }
  r <- do.call(rbind, res)
  print(r, row.names = FALSE, digits = 5)
  write.csv(r, file.path(dir, "scores.csv"), row.names = FALSE, quote = FALSE)
}
