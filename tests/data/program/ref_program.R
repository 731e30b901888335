# SPDX-License-Identifier: GPL-3.0-or-later
# Reference values for pkh simulate's standard errors (tests/unit/test_program.c), computed
# independently with R's survey package on design_households.csv (1,000 of `pkh synth
# --households 3000 --seed 11`'s households would do; all 3,000 are used).
#
# The PKH 2019 benefit is recomputed here from the household counts, without pkh: the four
# highest-paid members (pregnant, child06, disabled, elderly 2.4m; SMA 2.0m; SMP 1.5m; SD
# 0.9m, ties in the listed order) plus the reguler flat benefit 550,000, for recipients
# (pkh == 1) with at least one component. Welfare is per person per month: the benefit adds
# benefit / 12 / hhsize. Poverty is person-weighted (weight x hhsize), poor = pcexp < povline.
#
# Run from the repository root:  Rscript tests/data/program/ref_program.R
# Writes tests/data/program/ref_simulate_se.csv (%.17g).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

d <- read.csv("tests/data/program/design_households.csv")
counts <- c("n_pregnant", "n_child06", "n_disabled_severe", "n_elderly60", "n_sma", "n_smp",
            "n_sd")
amount <- c(2400000, 2400000, 2400000, 2400000, 2000000, 1500000, 900000)
comp <- numeric(nrow(d))
left <- rep(4, nrow(d))
for (k in seq_along(counts)) {
  take <- pmin(d[[counts[k]]], left)
  comp <- comp + take * amount[k]
  left <- left - take
}
has <- rowSums(d[, counts]) > 0
d$elig <- as.numeric(d$pkh == 1 & has)
d$b <- d$elig * (comp + 550000)
z <- d$povline
yb <- d$pcexp
ya <- d$pcexp + d$b / 12 / d$hhsize
gb <- ifelse(yb < z, 1 - yb / z, 0)
ga <- ifelse(ya < z, 1 - ya / z, 0)
d$pb0 <- d$hhsize * (yb < z)
d$pa0 <- d$hhsize * (ya < z)
d$pb1 <- d$hhsize * gb
d$pa1 <- d$hhsize * ga
d$pb2 <- d$hhsize * gb^2
d$pa2 <- d$hhsize * ga^2
d$lift <- d$hhsize * (yb < z & ya >= z)
d$pers <- d$hhsize * d$elig

# Gini of per-person welfare with person weights W = weight x hhsize, and its linearised
# variable (Langel and Tillé 2013), per person: u_k = [2 N_k (y_k - Y_k/N_k) + T - N y_k
# - G (T + N y_k)] / (N T), N_k and Y_k over y <= y_k. In svytotal the household carries
# hhsize x u_k.
gini_lin <- function(y, W) {
  o <- order(y)
  ys <- y[o]
  ws <- W[o]
  N <- sum(W)
  T <- sum(W * y)
  cw <- cumsum(ws)
  G <- sum(ws * ys * (2 * (cw - ws) + ws - N)) / (N * T)
  Nk <- numeric(length(y))
  Yk <- numeric(length(y))
  last <- tapply(seq_along(ys), ys, max) # ties: everyone at or below
  cy <- cumsum(ws * ys)
  idx <- last[as.character(ys)]
  Nk[o] <- cw[idx]
  Yk[o] <- cy[idx]
  u <- (2 * Nk * (y - Yk / Nk) + T - N * y - G * (T + N * y)) / (N * T)
  list(G = G, u = u)
}

rows <- list()
add <- function(group, name, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(group = group, indicator = name,
                                          estimate = as.numeric(est), se = as.numeric(se))
}

ratio <- function(des, num, den) {
  r <- svyratio(as.formula(paste0("~", num)), as.formula(paste0("~", den)), des)
  c(coef(r), SE(r))
}

one <- function(des, dd, group) {
  t <- svytotal(~elig + pers + b + lift, des)
  add(group, "families", coef(t)["elig"], SE(t)["elig"])
  add(group, "persons", coef(t)["pers"], SE(t)["pers"])
  add(group, "budget", coef(t)["b"], SE(t)["b"])
  add(group, "lifted", coef(t)["lift"], SE(t)["lift"])
  r <- ratio(des, "b", "elig")
  add(group, "average_benefit", r[1], r[2])
  for (a in 0:2) {
    rb <- ratio(des, paste0("pb", a), "hhsize")
    ra <- ratio(des, paste0("pa", a), "hhsize")
    rc <- ratio(des, paste0("I(pa", a, " - pb", a, ")"), "hhsize")
    add(group, paste0("fgt", a, "_before"), rb[1], rb[2])
    add(group, paste0("fgt", a, "_after"), ra[1], ra[2])
    add(group, paste0("fgt", a, "_change"), rc[1], rc[2])
  }
}

des <- svydesign(ids = ~psu, strata = ~strata, weights = ~weight, data = d)
one(des, d, "")
for (g in sort(unique(d$urban))) {
  one(subset(des, urban == g), d[d$urban == g, ], as.character(g))
}

# Gini before, after and the change, for everyone and within urban/rural (zero outside).
for (g in c("", "0", "1")) {
  inside <- if (g == "") rep(TRUE, nrow(d)) else d$urban == as.integer(g)
  W <- d$weight * d$hhsize
  lb <- gini_lin(yb[inside], W[inside])
  la <- gini_lin(ya[inside], W[inside])
  d$gb <- 0
  d$ga <- 0
  d$gb[inside] <- d$hhsize[inside] * lb$u
  d$ga[inside] <- d$hhsize[inside] * la$u
  des <- svydesign(ids = ~psu, strata = ~strata, weights = ~weight, data = d)
  t <- svytotal(~gb + ga + I(ga - gb), des)
  add(g, "gini_before", lb$G, SE(t)[1])
  add(g, "gini_after", la$G, SE(t)[2])
  add(g, "gini_change", la$G - lb$G, SE(t)[3])
}

out <- do.call(rbind, rows)
fmt <- function(x) sprintf("%.17g", x)
out$estimate <- fmt(out$estimate)
out$se <- fmt(out$se)
write.csv(out, "tests/data/program/ref_simulate_se.csv", row.names = FALSE, quote = FALSE)
cat("wrote", nrow(out), "rows\n")
