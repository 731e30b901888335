# ref_variance.R -- set 6 (issue 5): standard errors that sets 3 and 4 do not
# cover.
#
#  (a) Kernel-linearised indicators built on partial totals S(q) = sum w y 1(y <= q)
#      (convey's svyisq: lin S = y 1(y <= q) + S'(q) lin q, S'(q) = sum w y K((q-y)/h)/h):
#      income shares (bottom 40%, deciles, quintiles), Palma, Lorenz and generalised
#      Lorenz ordinates, the ratio of means S80/S20, and the quantile ratio p90/p10.
#      Quantiles by survey's rule "math" (pkh's ge) as convey.  Point estimates are
#      pkh's definitions (common.R), e.g. the interpolated Lorenz ordinate.
#  (b) Differences between two domains (pkh's --contrast): survey's svyby(covmat =
#      TRUE) + svycontrast for means and FGT at a fixed line; lin(A) - lin(B) through
#      svyrecvar for FGT at the national relative line and the Gini.
#  (c) Replicate weights: survey's as.svrepdesign() weights (JK1 on apiclus1, JKn on
#      apistrat, BRR and Fay on apistrat in pseudo-strata of two schools, bootstrap on
#      apistrat), written out as columns repw1, repw2, ..., and survey's replicate
#      variances with options(survey.replicates.mse = TRUE) (centred on the full-sample
#      estimate): svymean, and withReplicates() for the Gini and the median.
#
# Writes tests/data/r/ref_variance.csv and the replicate-weight data sets
# apiclus1_jk1.csv, apistrat_jkn.csv, apistrat_pairs.csv, apistrat_boot.csv.

source(file.path("scripts", "r", "common.R"))

data(eusilc, package = "laeken")
data(api, package = "survey")
options(survey.lonely.psu = "fail")

refs <- new_refs()
LEVEL <- 0.95

# lin_var and convey's kernel density (h_fun, kern, dens_F, dens_S): common.R

# Linearised variable of the p-quantile (rule ge) on the domain's rows.
q_lin <- function(yd, wd, p, h) {
  q <- wquantile(yd, wd, p, "ge")
  list(q = q, lin = -(1 / (sum(wd) * dens_F(q, yd, wd, h))) * ((yd <= q) - p))
}
# S(q_p) and its linearised variable (convey's svyisq); p >= 1: the total; p <= 0: 0.
S_lin <- function(yd, wd, p, h) {
  if (p >= 1) return(list(value = sum(wd * yd), lin = yd))
  if (p <= 0) return(list(value = 0, lin = 0 * yd))
  ql <- q_lin(yd, wd, p, h)
  list(value = sum(wd * yd * (yd <= ql$q)),
       lin = yd * (yd <= ql$q) + dens_S(ql$q, yd, wd, h) * ql$lin)
}

emit_lin <- function(dataset, label, des, by, group, indicator, param, est, lin, note,
                     line = "", src = "convey_formula") {
  se <- sqrt(lin_var(des, lin))
  df <- degf(des)
  tq <- qt(1 - (1 - LEVEL) / 2, df)
  add_ref(refs, dataset, label, line, by, group, indicator, param, est, se,
          est - tq * se, est + tq * se, df, NA, source = src,
          note = paste0(note, "; CI: est +- t(df = degf(design)) se"))
}

# ---- (a) shares, Palma, Lorenz, S80/S20 of means, p90/p10 -------------------------
kernel_block <- function(dataset, label, des, yname, byvar) {
  y <- des$variables[[yname]]
  w <- 1 / des$prob
  n <- length(y)
  doms <- list(list(by = "", group = "", dom = rep(TRUE, n)))
  if (!is.null(byvar)) {
    g <- as.character(des$variables[[byvar]])
    for (k in sort_keys(g)) doms[[length(doms) + 1]] <- list(by = byvar, group = k, dom = g == k)
  }
  for (D in doms) {
    dom <- D$dom
    yd <- y[dom]; wd <- w[dom]
    h <- h_fun(yd, wd)
    Tt <- sum(wd * yd); N <- sum(wd)
    full <- function(l) { z <- numeric(n); z[dom] <- l; z }
    E <- function(ind, param, est, l, note)
      emit_lin(dataset, label, des, D$by, D$group, ind, param, est, full(l),
               paste("S(q) = sum w y 1(y <= q), lin S = y 1(y<=q) + S'(q) lin q (convey svyisq);",
                     "quantiles rule ge;", note))
    share <- function(ind, lo, hi) {
      a <- S_lin(yd, wd, hi, h); b <- S_lin(yd, wd, lo, h)
      est <- (a$value - b$value) / Tt
      E(ind, "", est, (a$lin - b$lin - est * yd) / Tt, "share = (S(hi) - S(lo)) / T")
    }
    share("share_b40", 0, 0.4)
    share("share_d1", 0, 0.1)
    share("share_d10", 0.9, 1)
    share("share_q1", 0, 0.2)
    share("share_q5", 0.8, 1)
    s90 <- S_lin(yd, wd, 0.9, h); s40 <- S_lin(yd, wd, 0.4, h)
    palma <- (Tt - s90$value) / s40$value
    E("palma", "", palma, ((yd - s90$lin) - palma * s40$lin) / s40$value,
      "palma = (T - S(q90)) / S(q40)")
    for (p in c(0.2, 0.5)) {
      L <- lorenz(yd, wd, p)   # pkh's interpolated ordinate
      sp <- S_lin(yd, wd, p, h)
      E("lorenz", fmt_p(p), L, (sp$lin - L * yd) / Tt,
        "estimate: the interpolated Lorenz ordinate; lin of S(q_p)/T with that value")
    }
    GL <- lorenz(yd, wd, 0.5) * Tt / N
    s50 <- S_lin(yd, wd, 0.5, h)
    E("glorenz", "0.5", GL, (s50$lin - GL) / N, "glorenz = lorenz x mean = S(q)/N")
    q90 <- q_lin(yd, wd, 0.9, h); q10 <- q_lin(yd, wd, 0.1, h)
    r <- q90$q / q10$q
    E("ratio", "p90/p10", r, (q90$lin - r * q10$lin) / q10$q, "ratio of quantiles (kernel lin)")
    s80 <- S_lin(yd, wd, 0.8, h); s20 <- S_lin(yd, wd, 0.2, h)
    q80 <- wquantile(yd, wd, 0.8, "ge"); q20 <- wquantile(yd, wd, 0.2, "ge")
    A <- Tt - s80$value; B <- sum(wd[yd > q80]); C <- s20$value; Dd <- sum(wd[yd <= q20])
    sm <- (A / B) / (C / Dd)
    # the weight counts C(q) have lin 1(y<=q) + N f(q) lin q = p
    E("s80s20_means", "", sm,
      sm * ((yd - s80$lin) / A - 0.2 / B - s20$lin / C + 0.2 / Dd),
      "(mean above q80) / (mean at or below q20); lin of C(q) = p")
  }
}

eu <- eusilc
eu$db040 <- as.character(eu$db040)
eu$rb090 <- as.character(eu$rb090)
des_eu <- svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = eu)
kernel_block("eusilc", "ids=db030;strata=db040;weights=rb050", des_eu, "eqIncome", "db040")
apistrat$stype <- as.character(apistrat$stype)
des_st <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
kernel_block("apistrat", "ids=1;strata=stype;weights=pw;fpc=fpc", des_st, "api00", NULL)

# ---- (b) contrasts -------------------------------------------------------------------
gini_lin <- function(y, w, dom) {
  yd <- y[dom]; wd <- w[dom]
  o <- order(yd)
  x <- yd[o]; pw <- wd[o]
  N <- sum(pw); Tt <- sum(x * pw); r <- cumsum(pw); G <- cumsum(x * pw)
  A <- sum(pw * x * r); B <- sum(pw^2 * x)
  est <- (2 * A - B) / (N * Tt) - 1
  li <- (2 * (r * x + Tt - G)) / (N * Tt) - (est + 1) * (1 / N + x / Tt)
  lin <- numeric(length(y))
  lin[which(dom)[o]] <- li
  list(est = est, lin = lin)
}
fgt0_rel_lin <- function(y, w, dom, nat) {  # FGT0 at the national 0.6 x median
  th <- nat$est
  yd <- y[dom]; wd <- w[dom]; N <- sum(wd)
  P <- sum(wd * (yd < th)) / N
  lin <- numeric(length(y))
  lin[dom] <- ((yd < th) - P) / N
  list(est = P, lin = lin + dens_F(th, yd, wd, h_fun(yd, wd)) * nat$lin)
}
contrast_block <- function(dataset, label, des, yname, z, byvar, a, b) {
  y <- des$variables[[yname]]
  w <- 1 / des$prob
  gv <- as.character(des$variables[[byvar]])
  grp <- paste0(a, "-", b)
  note <- paste0("contrast ", byvar, " = ", a, " minus ", b)
  fb <- as.formula(paste0("~", byvar))
  fd <- update(des, fgt0 = as.numeric(y < z), fgt1 = ifelse(y < z, 1 - y / z, 0))
  for (v in c(yname, "fgt0", "fgt1")) {
    o <- svyby(as.formula(paste0("~", v)), fb, fd, svymean, covmat = TRUE)
    cc <- svycontrast(o, setNames(c(1, -1), c(a, b)))
    est <- as.numeric(coef(cc)); se <- as.numeric(SE(cc)); df <- degf(des)
    tq <- qt(1 - (1 - LEVEL) / 2, df)
    ind <- if (v == yname) "mean" else v
    add_ref(refs, dataset, label, if (v == yname) "" else format(z, scientific = FALSE),
            byvar, grp, ind, "contrast", est, se, est - tq * se, est + tq * se, df, NA,
            source = "survey", note = paste0(note, "; svyby(covmat = TRUE) + svycontrast"))
  }
  all <- rep(TRUE, length(y))
  ql <- q_lin(y, w, 0.5, h_fun(y, w))
  nat <- list(est = 0.6 * ql$q, lin = 0.6 * ql$lin)
  stopifnot(ql$q == wquantile(y, w, 0.5, "gt"))
  ra <- fgt0_rel_lin(y, w, gv == a, nat); rb <- fgt0_rel_lin(y, w, gv == b, nat)
  emit_lin(dataset, label, des, byvar, grp, "fgt0", "contrast", ra$est - rb$est,
           ra$lin - rb$lin, paste0(note, "; FGT0 at 0.6 x the national median, each ",
                                   "domain's lin with the national line's (convey svyarpr), ",
                                   "then lin(A) - lin(B)"), line = "rel:0.6:median")
  ga <- gini_lin(y, w, gv == a); gb <- gini_lin(y, w, gv == b)
  emit_lin(dataset, label, des, byvar, grp, "gini", "contrast", ga$est - gb$est,
           ga$lin - gb$lin, paste0(note, "; laeken-formula Gini, lin(A) - lin(B)"))
}
contrast_block("apistrat", "ids=1;strata=stype;weights=pw;fpc=fpc", des_st, "api00", 700,
               "stype", "E", "H")
contrast_block("eusilc", "ids=db030;strata=db040;weights=rb050", des_eu, "eqIncome", 10000,
               "rb090", "female", "male")
contrast_block("eusilc", "ids=db030;strata=db040;weights=rb050", des_eu, "eqIncome", 10000,
               "db040", "Vienna", "Tyrol")

# ---- (c) replicate weights -------------------------------------------------------------
options(survey.replicates.mse = TRUE)
rep_block <- function(dataset, label, rdes, keep, rescale = 1, note = "") {
  wr <- weights(rdes, "analysis")
  R <- ncol(wr)
  out <- rdes$variables[, keep, drop = FALSE]
  out$pw <- weights(rdes, "sampling")
  for (r in seq_len(R)) out[[paste0("repw", r)]] <- wr[, r]
  write_data(out, paste0(dataset, ".csv"))
  y <- rdes$variables$api00
  rdes <- update(rdes, fgt0 = as.numeric(api00 < 700))
  stats <- list(
    mean = function(w, d) sum(w * d$api00) / sum(w),
    fgt0 = function(w, d) sum(w * (d$api00 < 700)) / sum(w),
    gini = function(w, d) gini_laeken(d$api00, w),
    median = function(w, d) wquantile(d$api00, w, 0.5, "gt"))
  sm <- svymean(~api00, rdes)
  stopifnot(abs(SE(sm) - SE(withReplicates(rdes, stats$mean))) < 1e-9 * SE(sm))
  for (nm in names(stats)) {
    wr_est <- withReplicates(rdes, stats[[nm]])
    est <- as.numeric(coef(wr_est))
    se <- as.numeric(SE(wr_est)) * sqrt(rescale)
    add_ref(refs, dataset, label, if (nm == "fgt0") "700" else "", "", "", nm, "",
            est, se, df = NA, source = "survey",
            note = paste0("withReplicates() with survey.replicates.mse = TRUE", note))
  }
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
rep_block("apiclus1_jk1", "repweights=repw;reptype=jk1;weights=pw",
          as.svrepdesign(dclus1, type = "JK1", compress = FALSE), c("dnum", "api00"))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
rep_block("apistrat_jkn", "repweights=repw;reptype=jkn;weights=pw;strata=stype",
          as.svrepdesign(dstrat, type = "JKn", compress = FALSE), c("stype", "api00"))
# pseudo-strata of two schools each (consecutive in stype, snum order), for BRR and Fay
ap <- apistrat[order(apistrat$stype, apistrat$snum), ]
ap$pair <- rep(seq_len(nrow(ap) / 2), each = 2)
dpair <- svydesign(id = ~1, strata = ~pair, weights = ~pw, data = ap)
brr <- as.svrepdesign(dpair, type = "BRR", compress = FALSE)
rep_block("apistrat_pairs", "repweights=repw;reptype=brr;weights=pw", brr, c("pair", "api00"))
fay <- as.svrepdesign(dpair, type = "Fay", fay.rho = 0.3, compress = FALSE)
rep_block("apistrat_fay", "repweights=repw;reptype=fay:0.3;weights=pw", fay, c("pair", "api00"))
set.seed(20240601)
boot <- as.svrepdesign(dstrat, type = "bootstrap", replicates = 50, compress = FALSE)
# survey's bootstrap (Canty & Davison: n_h of n_h PSUs drawn) scales the squared deviations
# by boot$scale (about mean(n_h/(n_h-1))/(R-1)); pkh's "bootstrap" replicate weights are
# taken as already rescaled (Rao-Wu), with 1/R: the reference is survey's SE converted to
# pkh's scale, se x sqrt(1 / (R scale)).
rep_block("apistrat_boot", "repweights=repw;reptype=bootstrap;weights=pw", boot,
          c("stype", "api00"), rescale = 1 / (50 * boot$scale),
          note = paste0("; survey's scale ", format(boot$scale, digits = 17),
                        " converted to pkh's 1/R: se x sqrt(1/(R scale))"))

write_refs(refs, "ref_variance.csv")
