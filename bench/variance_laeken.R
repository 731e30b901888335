# R laeken's bootstrap for the variance-boot benchmark case: the at-risk-of-poverty rate
# (income < 0.6 x the weighted median) and the Gini by province, each with laeken's own
# variance(..., type = "bootstrap") (its cluster bootstrap: PSUs resampled within strata,
# bootType = "naive"), R replicates, on the household rows with person weights weight x hhsize.
#
#   Rscript bench/variance_laeken.R FILE R
#
# Prints CSV: province,indicator,estimate,se (fractions; laeken reports percentages), the whole
# population first (province empty). laeken computes one indicator per call; both calls are
# timed together by the benchmark.
suppressMessages(library(laeken))
args <- commandArgs(TRUE)
R <- as.integer(args[2])
d <- read.csv(args[1])
d$pw <- d$weight * d$hhsize
d$strata <- factor(d$strata)
d$psu <- as.integer(factor(paste(d$strata, d$psu)))
out <- list()
emit <- function(ind, name) {
  v <- suppressWarnings(variance("pcexp", weights = "pw", breakdown = "province",
                                 design = "strata", cluster = "psu", data = d, indicator = ind,
                                 R = R, bootType = "naive", seed = 1))
  out[[length(out) + 1]] <<- data.frame(province = "", indicator = name,
                                        estimate = v$value / 100, se = sqrt(v$var) / 100)
  out[[length(out) + 1]] <<- data.frame(province = as.character(v$valueByStratum$stratum),
                                        indicator = name,
                                        estimate = v$valueByStratum$value / 100,
                                        se = sqrt(v$varByStratum$var) / 100)
}
emit(arpr("pcexp", weights = "pw", breakdown = "province", data = d), "fgt0")
emit(gini("pcexp", weights = "pw", breakdown = "province", data = d), "gini")
res <- do.call(rbind, out)
res$estimate <- sprintf("%.17g", res$estimate)
res$se <- sprintf("%.17g", res$se)
write.csv(res, stdout(), row.names = FALSE, quote = FALSE)
