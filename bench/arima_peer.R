# bench/arima_peer.R in.csv out.csv — R forecast::auto.arima (defaults, stepwise) on each
# row's train part (one core), for bench/arima.sh. Rows in: id,period,m,h,train,test;
# out: id,model,secs,fc (model "arima"). A series where auto.arima errors gets its naive
# forecast (skucast's fallback) and is timed all the same.
suppressMessages(library(forecast))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
out <- file(args[2], "w")
writeLines("id,model,secs,fc", out)
for (i in seq_len(nrow(d))) {
  x <- ts(as.numeric(strsplit(d$train[i], ";")[[1]]), frequency = d$m[i])
  h <- d$h[i]
  t0 <- proc.time()[["elapsed"]]
  f <- tryCatch(forecast(auto.arima(x), h = h)$mean, error = function(e) rep(tail(x, 1), h))
  t1 <- proc.time()[["elapsed"]]
  writeLines(paste(d$id[i], "arima", t1 - t0, paste(sprintf("%.15g", f), collapse = ";"), sep = ","), out)
  flush(out)
}
close(out)
