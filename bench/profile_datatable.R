# The `profile` benchmark's R data.table peer: what a user would write without pkh.
#
# Usage: Rscript bench/profile_datatable.R FILE
#
# Reads the five columns it needs from FILE (as pkh and the other peers do) with
# data.table::fread (types sniffed; every core, like pkh and DuckDB: data.table's own default
# is half of them, one thread on a 2-core machine) and prints, as CSV, the poverty profile by
# province that `pkh indicators FILE --income pcexp --weight weight --size hhsize --line
# povline --by province --indicators fgt0,fgt1,fgt2,gini` computes:
# province,indicator,estimate,n,population; the whole population first (empty province),
# then each province. Definitions (pkh's, docs/indicators.md), with person weight
# pw = weight x hhsize, y = pcexp, z = povline (per row), poor when y < z:
#   FGT(a) = sum pw (1 - y/z)^a 1(y < z) / sum pw                          a = 0, 1, 2
#   Gini   = sum_i pw_i y_i (2 C_i - pw_i - W) / (W sum pw y), ascending y, C_i = cumulative
#            pw up to and including i, W = sum pw (laeken/DASP; tied incomes give the same
#            value in any order).
# Debian's r-base-core and r-cran-data.table (bench/run.sh installs them when missing).
suppressPackageStartupMessages(library(data.table))
setDTthreads(0) # every core

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) {
  cat("usage: Rscript profile_datatable.R FILE\n", file = stderr())
  quit(status = 2)
}

dt <- fread(args[1], select = c("province", "weight", "hhsize", "pcexp", "povline"))
dt[, pw := as.numeric(weight) * hhsize]
dt[, gap := fifelse(pcexp < povline, 1 - pcexp / povline, 0)]

gini <- function(y, pw) {
  # y sorted ascending
  cum <- cumsum(pw)
  total <- cum[length(cum)]
  sum(pw * y * (2 * cum - pw - total)) / (total * sum(pw * y))
}

profile <- function(d) {
  d[, .(n = .N, population = sum(pw),
        fgt0 = sum(pw[pcexp < povline]) / sum(pw),
        fgt1 = sum(pw * gap) / sum(pw),
        fgt2 = sum(pw * gap * gap) / sum(pw))]
}

total <- profile(dt)
total[, province := ""]
setorder(dt, pcexp)
total[, gini := gini(dt$pcexp, dt$pw)]

setorder(dt, province, pcexp)
by_province <- dt[, .(n = .N, population = sum(pw),
                      fgt0 = sum(pw[pcexp < povline]) / sum(pw),
                      fgt1 = sum(pw * gap) / sum(pw),
                      fgt2 = sum(pw * gap * gap) / sum(pw),
                      gini = gini(pcexp, pw)),
                  keyby = province]

res <- rbind(total, by_province, use.names = TRUE)
long <- melt(res, id.vars = c("province", "n", "population"),
             measure.vars = c("fgt0", "fgt1", "fgt2", "gini"),
             variable.name = "indicator", value.name = "estimate")
setorder(long, province, indicator)
num <- function(x) sprintf("%.17g", x)
lines <- c("province,indicator,estimate,n,population",
           paste(long$province, long$indicator, num(long$estimate), long$n,
                 num(long$population), sep = ","))
writeLines(lines)
