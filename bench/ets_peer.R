# bench/ets_peer.R in.csv out.csv — R forecast::ets and thetaf on each row's train part (one
# core), for bench/ets.sh. Rows in: id,period,m,h,train,test; out: id,model,secs,fc.
suppressMessages(library(forecast))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
out <- file(args[2], "w")
writeLines("id,model,secs,fc", out)
for (i in seq_len(nrow(d))) {
  x <- ts(as.numeric(strsplit(d$train[i], ";")[[1]]), frequency = d$m[i])
  h <- d$h[i]
  t0 <- proc.time()[["elapsed"]]
  f1 <- forecast(ets(x), h = h)$mean
  t1 <- proc.time()[["elapsed"]]
  f2 <- thetaf(x, h = h)$mean
  t2 <- proc.time()[["elapsed"]]
  writeLines(paste(d$id[i], "ets", t1 - t0, paste(sprintf("%.15g", f1), collapse = ";"), sep = ","), out)
  writeLines(paste(d$id[i], "theta", t2 - t1, paste(sprintf("%.15g", f2), collapse = ";"), sep = ","), out)
}
close(out)
