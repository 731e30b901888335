# ref_linearised.R -- set 4: linearised (influence-function) standard errors
# for non-linear indicators, written in R from the formulas convey uses
# (convey is not installed; see README.md for the formulas), with the variance
# of each linearised variable computed by survey::svyrecvar exactly as convey
# does.  Also survey::svyquantile's Woodruff intervals.
#
# Designs: eusilc (ids=db030 and, as in convey's examples, ids=rb030;
# strata=db040; weights=rb050) and apistrat (with and without fpc).
#
# Writes tests/data/r/ref_linearised.csv.

source(file.path("scripts", "r", "common.R"))

data(eusilc, package = "laeken")
data(api, package = "survey")
options(survey.lonely.psu = "fail")

refs <- new_refs()
LEVEL <- 0.95
SRC <- "convey_formula"


# Watts in domain dom & y > 0 at an estimated line.
watts_lin <- function(y, w, dom, line) {
  th <- line$est
  d <- dom & y > 0
  yd <- y[d]; wd <- w[d]; N <- sum(wd)
  hf <- ifelse(yd < th, log(th / yd), 0)
  rval <- sum(wd * hf) / N
  lin <- numeric(length(y))
  lin[d] <- (hf - rval) / N
  slope <- sum(wd * ifelse(yd < th, 1 / th, 0)) / N
  list(est = rval, lin = lin + slope * line$lin)
}

# Gini, convey formula and its linearised variable (convey CalcGini_IF).
gini_convey_lin <- function(y, w, dom) {
  yd <- y[dom]; wd <- w[dom]
  o <- order(yd)
  x <- yd[o]; pw <- wd[o]
  N <- sum(pw); Y <- sum(x * pw); r <- cumsum(pw); G <- cumsum(x * pw)
  T1 <- sum(r * x * pw); l1 <- Y - G + x * pw + r * x
  T2 <- Y; l2 <- x
  T3 <- N; l3 <- rep(1, length(x))
  est <- (2 * T1 - T2) / (T2 * T3) - 1
  li <- (2 * l1 - l2) / (T2 * T3) - (2 * T1 - T2) / (T2 * T3)^2 * (l2 * T3 + T2 * l3)
  lin <- numeric(length(y))
  lin[which(dom)[o]] <- li
  list(est = est, lin = lin)
}

# Gini, laeken formula (2A - B)/(N T) - 1 with A = sum w y C, B = sum w^2 y,
# differentiated the same way (d/dw_k, ranks included).
gini_laeken_lin <- function(y, w, dom) {
  yd <- y[dom]; wd <- w[dom]
  o <- order(yd)
  x <- yd[o]; pw <- wd[o]
  N <- sum(pw); Tt <- sum(x * pw); r <- cumsum(pw); G <- cumsum(x * pw)
  A <- sum(pw * x * r); B <- sum(pw^2 * x)
  dA <- r * x + (Tt - G + x * pw)
  dB <- 2 * pw * x
  est <- (2 * A - B) / (N * Tt) - 1
  li <- (2 * dA - dB) / (N * Tt) - (2 * A - B) / (N * Tt) * (1 / N + x / Tt)
  lin <- numeric(length(y))
  lin[which(dom)[o]] <- li
  list(est = est, lin = lin)
}

# GE and Atkinson as smooth functions of weighted totals; gradient by deriv().
#   U0 = sum w, U1 = sum w y, Ua = sum w y^a, T0 = sum w ln y, T1 = sum w y ln y
totals_lin <- function(expr, vars, y, w, d) {
  yd <- y[d]; wd <- w[d]
  vals <- lapply(vars, function(v) v$f(yd))
  env <- setNames(lapply(vals, function(z) sum(wd * z)), names(vars))
  dd <- deriv(expr, names(vars))
  ev <- eval(dd, env)
  grad <- attr(ev, "gradient")
  li <- Reduce(`+`, Map(function(z, gname) grad[1, gname] * z, vals, names(vars)))
  lin <- numeric(length(y))
  lin[d] <- li
  list(est = as.numeric(ev), lin = lin)
}
xlogx <- function(v) ifelse(v > 0, v * log(v), 0)
ge_lin <- function(y, w, d, a) {
  if (a == 0) {
    totals_lin(~ -T0 / U0 + log(U1 / U0),
               list(U0 = list(f = function(v) 1 + 0 * v), U1 = list(f = identity),
                    T0 = list(f = log)), y, w, d)
  } else if (a == 1) {
    totals_lin(~ T1 / U1 - log(U1 / U0),
               list(U0 = list(f = function(v) 1 + 0 * v), U1 = list(f = identity),
                    T1 = list(f = xlogx)), y, w, d)
  } else {
    e <- substitute(~ (U0^(A - 1) * U1^(-A) * Ua - 1) / (A * (A - 1)), list(A = a))
    totals_lin(eval(e),
               list(U0 = list(f = function(v) 1 + 0 * v), U1 = list(f = identity),
                    Ua = list(f = function(v) v^a)), y, w, d)
  }
}
atk_lin <- function(y, w, d, eps) {
  if (eps == 1) {
    totals_lin(~ 1 - U0 / U1 * exp(T0 / U0),
               list(U0 = list(f = function(v) 1 + 0 * v), U1 = list(f = identity),
                    T0 = list(f = log)), y, w, d)
  } else {
    e <- substitute(~ 1 - U0^(-E / (1 - E)) * Ua^(1 / (1 - E)) / U1, list(E = eps))
    totals_lin(eval(e),
               list(U0 = list(f = function(v) 1 + 0 * v), U1 = list(f = identity),
                    Ua = list(f = function(v) v^(1 - eps))), y, w, d)
  }
}

# S80/S20 = (TOT - S(q80)) / S(q20), S(q) = sum w y 1(y <= q) (convey svyqsr,
# svyisq): lin S = y 1(y <= q) + S'(q) lin q, S'(q) = sum w y K((q-y)/h) / h.
qsr_lin <- function(y, w, dom) {
  yd <- y[dom]; wd <- w[dom]; N <- sum(wd)
  h <- h_fun(yd, wd)
  isq <- function(a) {
    q <- wquantile(yd, wd, a, "ge")
    iq <- -(1 / (N * dens_F(q, yd, wd, h))) * ((yd <= q) - a)
    list(value = sum(wd * yd * (yd <= q)),
         lin = yd * (yd <= q) + dens_S(q, yd, wd, h) * iq)
  }
  s20 <- isq(0.2); s80 <- isq(0.8)
  tot <- sum(wd * yd)
  num <- tot - s80$value
  li <- ((yd - s80$lin) * s20$value - num * s20$lin) / s20$value^2
  lin <- numeric(length(y))
  lin[dom] <- li
  list(est = num / s20$value, lin = lin)
}

# ---------------------------------------------------------------------------
# Emission.
# ---------------------------------------------------------------------------
emit_lin <- function(dataset, label, des, line, by, group, indicator, param, res,
                     note, src = SRC) {
  se <- sqrt(lin_var(des, res$lin))
  df <- degf(des)
  tq <- qt(1 - (1 - LEVEL) / 2, df)
  add_ref(refs, dataset, label, line, by, group, indicator, param, res$est, se,
          res$est - tq * se, res$est + tq * se, df, NA, source = src,
          note = paste0(note, "; CI: est +- t(df = degf(design)) se"))
}

run_design <- function(dataset, label, des, yname, fixed_line, byvar, full = TRUE) {
  y <- des$variables[[yname]]
  w <- 1 / des$prob
  n <- length(y)
  all <- rep(TRUE, n)
  domains <- list(list(by = "", group = "", dom = all))
  if (!is.null(byvar)) {
    g <- as.character(des$variables[[byvar]])
    for (k in sort_keys(g)) domains[[length(domains) + 1]] <- list(by = byvar, group = k, dom = g == k)
  }
  if (!full) domains <- domains[1]

  nat <- arpt_lin(y, w, all)
  # the median's rule: survey's "math" (first cumulative share >= p);
  # laeken's rule (> p) gives the same value unless a share equals p exactly
  stopifnot(nat$q$est == nat$q$q_gt)
  fixed <- list(est = fixed_line, lin = numeric(n))
  flabel <- format(fixed_line, scientific = FALSE)

  emit_lin(dataset, label, des, "rel:0.6:median", "", "", "line", "", nat,
           paste("arpt = 0.6 x median; median by survey qrule math;", KERNEL_NOTE))

  for (D in domains) {
    dom <- D$dom
    E <- function(line, indicator, param, res, note)
      emit_lin(dataset, label, des, line, D$by, D$group, indicator, param, res, note)
    dnote <- if (nzchar(D$by)) "domain: lin zero outside, variance over the full design" else "whole population"

    # quantiles, kernel linearisation (convey svyiqalpha style)
    for (p in c(0.1, 0.25, 0.5, 0.75, 0.9)) {
      ql <- quantile_lin(y, w, dom, p)
      E("", "quantile", fmt_p(p), ql,
        paste("rule ge (survey qrule math); lin -(1/(N f(q)))(1(y<=q)-p);", KERNEL_NOTE, ";", dnote))
    }

    # FGT at the national relative line (estimated), and at the fixed line
    for (g in 0:2) {
      r <- fgt_lin(y, w, dom, nat, g)
      stopifnot(r$weak_equal)      # no one exactly at the line: y<line == y<=line
      E("rel:0.6:median", paste0("fgt", g), "", r,
        paste0("convey svyfgt type_thresh=relq (svyarpr for g=0): lin = (h(y)-P)/N + ",
               if (g == 0) "f(line)" else "mean(dh/dline)",
               " x lin(arpt); national line; ", KERNEL_NOTE, "; ", dnote))
      r <- fgt_lin(y, w, dom, fixed, g)
      E(flabel, paste0("fgt", g), "", r, paste("fixed line (same as svymean);", dnote))
    }
    if (nzchar(D$by)) {
      wl <- arpt_lin(y, w, dom)
      E("rel:0.6:median:within", "line", "", wl, paste("group's own 0.6 x median;", KERNEL_NOTE))
      for (g in 0:1) {
        r <- fgt_lin(y, w, dom, wl, g)
        E("rel:0.6:median:within", paste0("fgt", g), "", r,
          paste("line = 0.6 x the domain's own median, its lin from the domain;", KERNEL_NOTE))
      }
    }

    # Watts (over y > 0): fixed line, and national relative line
    E(flabel, "watts", "", watts_lin(y, w, dom, fixed),
      paste("convey svywatts type_thresh=abs; over y>0;", dnote))
    E("rel:0.6:median", "watts", "", watts_lin(y, w, dom, nat),
      paste("line = 0.6 x median of ALL incomes (pkh convention) with lin(arpt); index over y>0;", dnote))
    pos <- y > 0
    if (!all(pos)) {
      cl <- arpt_lin(y, w, pos)
      emit_lin(dataset, label, des, "rel:0.6:median", D$by, D$group, "watts", "",
               watts_lin(y, w, dom, cl),
               paste("convey svywatts relq: convey drops y<=0 from the FULL design first, so the line is",
                     "0.6 x median of y>0 (", format(cl$est, digits = 17), ");", dnote),
               src = "convey_svywatts_relq")
    }

    # Gini
    E("", "gini", "", gini_laeken_lin(y, w, dom),
      paste("laeken formula; lin = d/dw_k of (2 sum w y C - sum w^2 y)/(N T) - 1;", dnote))
    E("", "gini_convey", "", gini_convey_lin(y, w, dom),
      paste("convey svygini formula and CalcGini_IF (Langel-Tille style);", dnote))

    # GE / Atkinson: convey = domain y > 0; pkh convention = y >= 0 for alpha > 0 / eps < 1
    for (a in GE_ALPHAS) {
      E("", "ge", fmt_p(a), ge_lin(y, w, dom & y > 0, a),
        paste("convey svygei on subset(design, y > 0); lin from the gradient of the totals formula;", dnote))
      if (a > 0 && any(y[dom] == 0))
        emit_lin(dataset, label, des, "", D$by, D$group, "ge", fmt_p(a),
                 ge_lin(y, w, dom & y >= 0, a),
                 paste("pkh convention: over y>=0 (zeros kept, 0 ln 0 = 0);", dnote), src = "formula")
    }
    for (e in ATK_EPS) {
      E("", "atkinson", fmt_p(e), atk_lin(y, w, dom & y > 0, e),
        paste("convey svyatk on subset(design, y > 0); lin from the gradient of the totals formula;", dnote))
      if (e < 1 && any(y[dom] == 0))
        emit_lin(dataset, label, des, "", D$by, D$group, "atkinson", fmt_p(e),
                 atk_lin(y, w, dom & y >= 0, e),
                 paste("pkh convention: over y>=0 (zeros kept);", dnote), src = "formula")
    }

    # S80/S20
    E("", "s80s20", "", qsr_lin(y, w, dom),
      paste("convey svyqsr: (TOT - S(q80))/S(q20), quantiles by rule ge;", KERNEL_NOTE, ";", dnote))

    # survey::svyquantile: Woodruff (default interval.type = "mean", qrule math)
    # and oldsvyquantile Wald (method constant); domains via subset().
    sub <- if (nzchar(D$by)) subset(des, dom) else des
    fy <- as.formula(paste0("~", yname))
    ps <- c(0.1, 0.25, 0.5, 0.75, 0.9)
    sq <- svyquantile(fy, sub, ps, ci = TRUE)[[1]]
    dfq <- degf(sub)
    add_ref(refs, dataset, label, "", D$by, D$group, "quantile", fmt_p(ps), sq[, 1],
            sq[, 4], sq[, 2], sq[, 3], dfq, NA, source = "survey",
            note = paste0("svyquantile(ci=TRUE) defaults: qrule math, interval.type mean (Woodruff); ",
                          "se = CI width / (2 t); df = degf(design",
                          if (nzchar(D$by)) " subset to the domain)" else ")"))
    oq <- oldsvyquantile(fy, sub, ps, ci = TRUE, method = "constant", interval.type = "Wald")
    add_ref(refs, dataset, label, "", D$by, D$group, "quantile_wald", fmt_p(ps),
            as.numeric(oq$quantiles), as.numeric(attr(oq, "SE")),
            oq$CIs[1, , 1], oq$CIs[2, , 1], dfq, NA, source = "survey",
            note = paste0("oldsvyquantile(ci=TRUE, method='constant', interval.type='Wald'): ",
                          "p +- t se(mean of 1(y > q)) inverted through the ECDF; se = CI width / (2 t)"))
  }

  # Self-checks against survey's own machinery.
  ff <- update(des, f1 = ifelse(y < fixed_line, 1 - y / fixed_line, 0))
  sm <- svymean(~f1, ff)
  stopifnot(abs(SE(sm) - sqrt(lin_var(des, fgt_lin(y, w, all, fixed, 1)$lin))) < 1e-12 * SE(sm))
  pd <- update(des, one = 1, ly = ifelse(y > 0, log(y), 0), yy = y)
  tt <- svytotal(~one + yy + ly, subset(pd, y > 0))
  sc <- svycontrast(tt, quote(-ly / one + log(yy / one)))
  stopifnot(abs(SE(sc) - sqrt(lin_var(des, ge_lin(y, w, all & y > 0, 0)$lin))) < 1e-9 * SE(sc))
}

# ---- designs ---------------------------------------------------------------------
eu <- eusilc
eu$db040 <- as.character(eu$db040)
des_hh <- svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = eu)
des_pp <- svydesign(ids = ~rb030, strata = ~db040, weights = ~rb050, data = eu)
run_design("eusilc", "ids=db030;strata=db040;weights=rb050", des_hh, "eqIncome", 10000, "db040")
run_design("eusilc", "ids=rb030;strata=db040;weights=rb050", des_pp, "eqIncome", 10000, "db040",
           full = FALSE)

apistrat$stype <- as.character(apistrat$stype)
run_design("apistrat", "ids=1;strata=stype;weights=pw;fpc=fpc",
           svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat),
           "api00", 700, "stype")
run_design("apistrat", "ids=1;strata=stype;weights=pw",
           svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat),
           "api00", 700, "stype")

# ---- check against convey's published example output ------------------------------
# convey's svyarpt example (ids=rb030, strata=db040, weights=rb050) prints
# "arpt 10859  SE 50.636".
chk <- arpt_lin(eu$eqIncome, eu$rb050, rep(TRUE, nrow(eu)))
se_chk <- sqrt(lin_var(des_pp, chk$lin))
stopifnot(abs(se_chk - 50.636) < 5e-4, abs(chk$est - 10859.236) < 1e-3)

# ---- finite-difference check of the Gini linearisations on a small sample -----------
set_y <- c(7, 3, 1, 3, 14, 2, 9, 6, 40, 5, 18, 10)
set_w <- c(3, 4, 3, 1, 1, 4, 6, 2, 3, 1, 2, 2)
for (f in list(list(gini_laeken_lin, gini_laeken), list(gini_convey_lin, gini_convey))) {
  li <- f[[1]](set_y, set_w, rep(TRUE, 12))$lin
  fd <- sapply(seq_along(set_y), function(k) {
    e <- 1e-6; w2 <- set_w; w2[k] <- w2[k] + e
    (f[[2]](set_y, w2) - f[[2]](set_y, set_w)) / e
  })
  stopifnot(max(abs(li - fd)) < 1e-6)
}

write_refs(refs, "ref_linearised.csv")
