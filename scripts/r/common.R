# common.R -- shared helpers for the pkh reference-value scripts.
#
# Everything here is written from the published formulas (see README.md);
# nothing depends on a random seed.  Sourced by every ref_*.R script.

suppressPackageStartupMessages({
  library(survey)
  library(laeken)
})

# ---------------------------------------------------------------------------
# Paths: the scripts are run from the repository root.
# ---------------------------------------------------------------------------
REF_DIR <- file.path("tests", "data", "r")
if (!dir.exists(REF_DIR)) dir.create(REF_DIR, recursive = TRUE)

# ---------------------------------------------------------------------------
# Output: one CSV per reference set, fixed columns.
# ---------------------------------------------------------------------------
REF_COLUMNS <- c("dataset", "design", "line", "by", "group", "indicator",
                 "param", "estimate", "se", "ci_low", "ci_high", "df", "deff",
                 "source", "note")

# Numbers: 17 significant digits (round-trips a double); NA -> empty field.
fmt_num <- function(x) {
  x <- as.numeric(x)
  out <- sprintf("%.17g", x)
  out[is.na(x)] <- ""
  out[is.infinite(x) & x > 0] <- "inf"
  out[is.infinite(x) & x < 0] <- "-inf"
  out
}

# A collector of result rows.  Numbers are formatted when the row is added so
# the CSV writer only sees text.
new_refs <- function() {
  env <- new.env()
  env$rows <- list()
  env
}

add_ref <- function(refs, dataset, design = "", line = "", by = "", group = "",
                    indicator, param = "", estimate, se = NA, ci_low = NA,
                    ci_high = NA, df = NA, deff = NA, source, note = "") {
  n <- length(estimate)
  recycle <- function(v) rep_len(as.character(v), n)
  refs$rows[[length(refs$rows) + 1L]] <- data.frame(
    dataset = recycle(dataset), design = recycle(design), line = recycle(line),
    by = recycle(by), group = recycle(group), indicator = recycle(indicator),
    param = recycle(param),
    estimate = fmt_num(estimate), se = rep_len(fmt_num(se), n),
    ci_low = rep_len(fmt_num(ci_low), n), ci_high = rep_len(fmt_num(ci_high), n),
    df = rep_len(fmt_num(df), n), deff = rep_len(fmt_num(deff), n),
    source = recycle(source), note = recycle(note),
    stringsAsFactors = FALSE)
  invisible(NULL)
}

# RFC 4180 quoting: only fields holding a comma, quote or newline are quoted.
csv_field <- function(x) {
  x <- as.character(x)
  x[is.na(x)] <- ""
  needs <- grepl("[\",\n\r]", x)
  x[needs] <- paste0("\"", gsub("\"", "\"\"", x[needs]), "\"")
  x
}

write_csv_text <- function(df, path) {
  lines <- c(paste(csv_field(names(df)), collapse = ","),
             if (nrow(df) > 0)
               do.call(paste, c(lapply(df, csv_field), sep = ",")))
  con <- file(path, open = "wb")        # "\n" line ends on every platform
  writeLines(lines, con, sep = "\n")
  close(con)
}

write_refs <- function(refs, file) {
  df <- do.call(rbind, refs$rows)
  df <- df[, REF_COLUMNS]
  key <- df[, c("dataset", "design", "line", "by", "group", "indicator",
                "param", "source")]
  dup <- duplicated(key)
  if (any(dup)) {
    print(head(df[dup, ], 20))
    stop("duplicate reference keys in ", file)
  }
  path <- file.path(REF_DIR, file)
  write_csv_text(df, path)
  message(sprintf("wrote %s (%d rows)", path, nrow(df)))
  invisible(df)
}

# Data export: numbers at 17 significant digits, NA as an empty field.
write_data <- function(df, file) {
  out <- lapply(df, function(col) {
    if (is.factor(col)) col <- as.character(col)
    if (is.numeric(col)) {
      s <- ifelse(is.na(col), "", sprintf("%.17g", as.numeric(col)))
      # integers print without exponent anyway; keep them short
      s
    } else {
      ifelse(is.na(col), "", as.character(col))
    }
  })
  out <- as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
  names(out) <- names(df)
  path <- file.path(REF_DIR, file)
  write_csv_text(out, path)
  message(sprintf("wrote %s (%d rows)", path, nrow(out)))
  invisible(path)
}

# Group keys in the order pkh prints them: numbers numerically, strings by
# bytes (radix sort = C locale).
sort_keys <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  sort(unique(x), method = "radix")
}

# ---------------------------------------------------------------------------
# Weighted quantiles.  Three rules, all on the sorted values x(1) <= ... <=
# x(n) with cumulative weight share c(k) = sum_{i<=k} w(i) / W:
#   "gt"     first x(k) with c(k) >  p                       (laeken, pkh default)
#   "ge"     first x(k) with c(k) >= p                       (survey qrule "math")
#   "ge_avg" as "ge", but the mean of x(k), x(k+1) when c(k) == p exactly
#                                                            (survey qrule "school",
#                                                             Eurostat's written rule)
# The comparison is on c(k) = cumsum(w)/W, exactly as laeken computes it.
# ---------------------------------------------------------------------------
wquantile <- function(y, w, p, rule = "gt") {
  o <- order(y)
  y <- y[o]
  w <- w[o]
  keep <- w > 0
  y <- y[keep]
  w <- w[keep]
  n <- length(y)
  cs <- cumsum(w) / sum(w)
  vapply(p, function(pp) {
    if (rule == "gt") {
      k <- which(cs > pp)
      if (length(k) == 0) return(y[n])
      y[min(k)]
    } else {
      k <- which(cs >= pp)
      if (length(k) == 0) return(y[n])
      k <- min(k)
      if (rule == "ge_avg" && cs[k] == pp && k < n) (y[k] + y[k + 1]) / 2 else y[k]
    }
  }, 0.0)
}

QRULE_NOTE <- c(
  gt = "rule gt: first sorted value with cumulative weight share > p (laeken weightedQuantile; pkh default)",
  ge = "rule ge: first sorted value with cumulative weight share >= p (survey qrule=math; inverse ECDF)",
  ge_avg = "rule ge_avg: as ge but mean of the two values when the share equals p exactly (survey qrule=school; Eurostat text)")

QRULE_INDICATOR <- c(gt = "quantile", ge = "quantile_ge", ge_avg = "quantile_ge_avg")

# ---------------------------------------------------------------------------
# Point estimators (y = income, w = person weight = weight x size).
# ---------------------------------------------------------------------------
wmean <- function(y, w) sum(w * y) / sum(w)

# FGT(alpha) = sum w (1 - y/z)^alpha 1(y < z) / sum w, over every row.
fgt <- function(y, w, z, alpha) {
  poor <- y < z
  g <- ifelse(poor, (1 - y / z), 0)
  if (alpha == 0) sum(w * poor) / sum(w) else sum(w * g^alpha) / sum(w)
}

# Watts = sum w ln(z/y) 1(y<z) / sum w, over rows with y > 0.
watts <- function(y, w, z) {
  k <- y > 0
  y <- y[k]; w <- w[k]
  sum(w * ifelse(y < z, log(z / y), 0)) / sum(w)
}

# Gini, laeken's weighted formula (laeken:::giniCoeff / 100):
#   G = (2 sum w_i y_i C_i - sum w_i^2 y_i) / (W sum w y) - 1,  C_i cumulative
#   weight in ascending order.  Equals the Lorenz-trapezoid / midpoint-rank form.
gini_laeken <- function(y, w) {
  o <- order(y)
  y <- y[o]; w <- w[o]
  cw <- cumsum(w)
  (2 * sum(w * y * cw) - sum(w^2 * y)) / (sum(w) * sum(w * y)) - 1
}

# Gini, convey's svygini formula (convey:::CalcGini):
#   G = sum (2 C_i - 1) w_i y_i / (W sum w y) - 1
# Differs from laeken's by (sum w^2 y - sum w y)/(W sum w y): the same only
# when every weight is 1.
gini_convey <- function(y, w) {
  k <- w > 0
  y <- y[k]; w <- w[k]
  o <- order(y)
  y <- y[o]; w <- w[o]
  r <- cumsum(w)
  sum((2 * r - 1) * y * w) / (sum(w) * sum(y * w)) - 1
}

# Sen = P0 (I + (1 - I) Gp); I = P1/P0; Gp = Gini (laeken formula) of the
# incomes of the poor.
sen <- function(y, w, z) {
  p0 <- fgt(y, w, z, 0)
  if (p0 == 0) return(0)
  p1 <- fgt(y, w, z, 1)
  I <- p1 / p0
  poor <- y < z
  gp <- gini_laeken(y[poor], w[poor])
  p0 * (I + (1 - I) * gp)
}

# SST = P1 (1 + G(gaps)), gaps = (1 - y/z) 1(y<z) over every row.
sst <- function(y, w, z) {
  p1 <- fgt(y, w, z, 1)
  if (p1 == 0) return(0)
  gaps <- ifelse(y < z, 1 - y / z, 0)
  p1 * (1 + gini_laeken(gaps, w))
}

# Generalised entropy.  alpha <= 0 over y > 0; alpha > 0 over y >= 0.
ge_population <- function(y, alpha) if (alpha <= 0) y > 0 else y >= 0
ge <- function(y, w, alpha) {
  k <- ge_population(y, alpha)
  y <- y[k]; w <- w[k]
  mu <- wmean(y, w)
  r <- y / mu
  if (alpha == 0) {
    sum(w * log(1 / r)) / sum(w)
  } else if (alpha == 1) {
    sum(w * ifelse(r > 0, r * log(r), 0)) / sum(w)
  } else {
    (sum(w * r^alpha) / sum(w) - 1) / (alpha * (alpha - 1))
  }
}

# Atkinson.  epsilon >= 1 over y > 0; epsilon < 1 over y >= 0.
atk_population <- function(y, eps) if (eps >= 1) y > 0 else y >= 0
atkinson <- function(y, w, eps) {
  k <- atk_population(y, eps)
  y <- y[k]; w <- w[k]
  mu <- wmean(y, w)
  if (eps == 1) {
    1 - exp(sum(w * log(y)) / sum(w)) / mu
  } else {
    1 - (sum(w * (y / mu)^(1 - eps)) / sum(w))^(1 / (1 - eps))
  }
}

# Coefficient of variation: population sd (weights normalised) / mean.
cv <- function(y, w) {
  mu <- wmean(y, w)
  sqrt(sum(w * (y - mu)^2) / sum(w)) / mu
}

# Income share of the rows with q_lo < y <= q_hi (q_lo = -Inf for the bottom).
share_between <- function(y, w, lo, hi) {
  sel <- y > lo & y <= hi
  sum(w[sel] * y[sel]) / sum(w * y)
}

# Lorenz ordinate at p: linear interpolation between the cumulative points
# (cumulative population share, cumulative income share), from (0, 0).
lorenz <- function(y, w, p) {
  o <- order(y)
  y <- y[o]; w <- w[o]
  k <- w > 0
  y <- y[k]; w <- w[k]
  P <- c(0, cumsum(w) / sum(w))
  L <- c(0, cumsum(w * y) / sum(w * y))
  approx(P, L, xout = p, method = "linear", ties = "ordered")$y
}

# ---------------------------------------------------------------------------
# Line specifications.
# ---------------------------------------------------------------------------
line_value <- function(spec, y, w, rule = "gt") {
  if (grepl("^rel:", spec)) {
    parts <- strsplit(spec, ":", fixed = TRUE)[[1]]
    f <- as.numeric(parts[2])
    if (parts[3] == "median") f * wquantile(y, w, 0.5, rule)
    else if (parts[3] == "mean") f * wmean(y, w)
    else stop("unknown line ", spec)
  } else as.numeric(spec)
}

# ---------------------------------------------------------------------------
# Blocks of rows shared by the eusilc and small-data sets.
# ---------------------------------------------------------------------------
P_QUANT <- c(0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95)
P_LORENZ <- seq(0.1, 0.9, by = 0.1)
GE_ALPHAS <- c(-1, 0, 1, 2)
ATK_EPS <- c(0.5, 1, 2)

fmt_p <- function(p)
  vapply(p, function(x) format(x, scientific = FALSE, trim = TRUE, digits = 15), "")

ge_note <- function(alpha) {
  if (alpha <= 0) "over y>0" else if (alpha == 1) "over y>=0 (0 ln 0 = 0)" else "over y>=0"
}
atk_note <- function(eps) if (eps >= 1) "over y>0" else "over y>=0"

# Line-independent indicators of one population (whole or one group).
emit_inequality <- function(refs, dataset, design, by, group, y, w, src = "formula") {
  A <- function(indicator, estimate, param = "", note = "")
    add_ref(refs, dataset, design, "", by, group, indicator, param, estimate,
            source = src, note = note)
  A("n", length(y), note = "rows")
  A("population", sum(w), note = "sum of person weights")
  A("mean", wmean(y, w))
  A("median", wquantile(y, w, 0.5, "gt"), note = QRULE_NOTE[["gt"]])
  for (rule in names(QRULE_INDICATOR))
    A(QRULE_INDICATOR[[rule]], wquantile(y, w, P_QUANT, rule), fmt_p(P_QUANT),
      note = QRULE_NOTE[[rule]])
  q <- function(p) wquantile(y, w, p, "gt")
  A("ratio", q(0.9) / q(0.1), "p90/p10", note = "quantile rule gt")
  A("ratio", q(0.9) / q(0.5), "p90/p50", note = "quantile rule gt")
  A("ratio", q(0.5) / q(0.1), "p50/p10", note = "quantile rule gt")
  A("ratio", q(0.8) / q(0.2), "p80/p20", note = "quantile rule gt")
  A("gini", gini_laeken(y, w),
    note = "laeken formula (2 sum w y C - sum w^2 y)/(W sum w y) - 1; all rows")
  A("gini_convey", gini_convey(y, w),
    note = "convey svygini formula sum (2C - 1) w y/(W sum w y) - 1; all rows")
  for (a in GE_ALPHAS) A("ge", ge(y, w, a), fmt_p(a), note = ge_note(a))
  A("mld", ge(y, w, 0), note = ge_note(0))
  A("theil", ge(y, w, 1), note = ge_note(1))
  for (e in ATK_EPS) A("atkinson", atkinson(y, w, e), fmt_p(e), note = atk_note(e))
  A("cv", cv(y, w), note = "population sd (weights normalised) / mean; all rows")
  q20 <- q(0.2); q40 <- q(0.4); q80 <- q(0.8); q90 <- q(0.9)
  top20 <- y > q80; bot20 <- y <= q20
  A("s80s20", sum(w[top20] * y[top20]) / sum(w[bot20] * y[bot20]),
    note = "total income y > q80 / total income y <= q20 (as laeken qsr); rule gt")
  A("s80s20_means", wmean(y[top20], w[top20]) / wmean(y[bot20], w[bot20]),
    note = "variant: mean income y > q80 / mean income y <= q20; rule gt")
  A("palma", share_between(y, w, q90, Inf) / share_between(y, w, -Inf, q40),
    note = "income share y > q90 / income share y <= q40; rule gt")
  A("share_b40", share_between(y, w, -Inf, q40), note = "y <= q40; rule gt")
  dq <- c(-Inf, q(seq(0.1, 0.9, by = 0.1)), Inf)
  for (k in 1:10)
    A(paste0("share_d", k), share_between(y, w, dq[k], dq[k + 1]),
      note = "q(k-1)/10 < y <= q(k/10); rule gt")
  qq <- c(-Inf, q(c(0.2, 0.4, 0.6, 0.8)), Inf)
  for (k in 1:5)
    A(paste0("share_q", k), share_between(y, w, qq[k], qq[k + 1]),
      note = "quintile shares; rule gt")
  A("lorenz", lorenz(y, w, P_LORENZ), fmt_p(P_LORENZ),
    note = "linear interpolation between cumulative points from (0,0)")
  A("glorenz", lorenz(y, w, P_LORENZ) * wmean(y, w), fmt_p(P_LORENZ),
    note = "lorenz x mean")
}

# Line-dependent indicators of one population at line z.
emit_poverty <- function(refs, dataset, design, line, by, group, y, w, z,
                         src = "formula", line_note = "") {
  A <- function(indicator, estimate, note = "")
    add_ref(refs, dataset, design, line, by, group, indicator, "", estimate,
            source = src, note = paste0(note, if (nzchar(note) && nzchar(line_note)) "; ",
                                        line_note))
  A("line", z)
  A("fgt0", fgt(y, w, z, 0), "poor: y < line")
  A("fgt1", fgt(y, w, z, 1))
  A("fgt2", fgt(y, w, z, 2))
  A("poor", sum(w[y < z]), "sum of person weights with y < line")
  A("gap_total", sum(w * ifelse(y < z, z - y, 0)))
  p0 <- fgt(y, w, z, 0)
  A("income_gap_ratio", if (p0 > 0) fgt(y, w, z, 1) / p0 else NA, "P1/P0")
  A("watts", watts(y, w, z), "over y>0")
  A("sen", sen(y, w, z), "P0 (I + (1 - I) Gp), Gp laeken-formula Gini of the poor")
  A("sst", sst(y, w, z), "P1 (1 + Gini of gaps over all rows)")
}

# FGT subgroup decomposition at line z (common to all groups).
emit_fgt_decomposition <- function(refs, dataset, design, line, by, g, y, w, z,
                                   src = "formula") {
  W <- sum(w)
  poor_all <- sum(w[y < z])
  tot <- sapply(0:2, function(a) fgt(y, w, z, a))
  for (k in sort_keys(g)) {
    s <- g == k
    A <- function(indicator, estimate, param = "", note = "")
      add_ref(refs, dataset, design, line, by, k, indicator, param, estimate,
              source = src, note = note)
    A("pop_share", sum(w[s]) / W, note = "group population / total population")
    A("poor_share", sum(w[s & y < z]) / poor_all, note = "group poor / all poor")
    for (a in 0:2) {
      fa <- fgt(y[s], w[s], z, a)
      A(paste0("contrib_fgt", a), sum(w[s]) / W * fa,
        note = "absolute contribution: pop_share x group FGT (sums to the total)")
      A(paste0("contrib_rel_fgt", a), sum(w[s]) / W * fa / tot[a + 1],
        note = "relative contribution: absolute / total FGT (sums to 1)")
    }
  }
}

# GE(alpha) within/between decomposition by group g.
emit_ge_decomposition <- function(refs, dataset, design, by, g, y, w, src = "formula") {
  for (a in GE_ALPHAS) {
    k <- ge_population(y, a)
    yy <- y[k]; ww <- w[k]; gg <- g[k]
    mu <- wmean(yy, ww)
    total <- ge(yy, ww, a)
    within <- 0
    ybar <- numeric(length(yy))
    for (key in sort_keys(gg)) {
      s <- gg == key
      sh_pop <- sum(ww[s]) / sum(ww)
      sh_inc <- sum(ww[s] * yy[s]) / sum(ww * yy)
      wt <- sh_pop^(1 - a) * sh_inc^a
      within <- within + wt * ge(yy[s], ww[s], a)
      ybar[s] <- wmean(yy[s], ww[s])
      add_ref(refs, dataset, design, "", by, key, "ge_weight", fmt_p(a), wt,
              source = src,
              note = paste("within-group weight pop_share^(1-alpha) income_share^alpha;", ge_note(a)))
    }
    between <- ge(ybar, ww, a)
    stopifnot(abs(within + between - total) < 1e-12 * max(1, abs(total)))
    add_ref(refs, dataset, design, "", by, "", "ge_within", fmt_p(a), within,
            source = src, note = paste("sum of weight x group GE;", ge_note(a)))
    add_ref(refs, dataset, design, "", by, "", "ge_between", fmt_p(a), between,
            source = src, note = paste("GE of group means given to every member;", ge_note(a)))
  }
}

# ---------------------------------------------------------------------------
# Linearisation building blocks (convey's formulas), shared by ref_linearised.R
# and ref_decomp.R.
# ---------------------------------------------------------------------------
KERNEL_NOTE <- paste0(
  "density at the quantile: Gaussian kernel, bandwidth h = sqrt(sum w y^2/N - (sum w y/N)^2) / N^0.2 ",
  "with N = sum of weights of the (domain) sample (convey h_fun/densfun)")

# ---------------------------------------------------------------------------
# Variance of a linearised variable z (theta_hat - theta ~ sum_k w_k z_k), as
# convey: svyrecvar(z / prob, ...) over the full design.
# ---------------------------------------------------------------------------
lin_var <- function(des, z) {
  v <- survey::svyrecvar(z / des$prob, des$cluster, des$strata, des$fpc,
                         postStrata = des$postStrata)
  as.numeric(v)
}

# ---------------------------------------------------------------------------
# Building blocks (y, w full-sample vectors; dom a logical domain mask).
# Every lin is full length, zero outside its domain.
# ---------------------------------------------------------------------------
h_fun <- function(y, w) {
  N <- sum(w)
  sd <- sqrt((sum(w * y * y) - sum(w * y) * sum(w * y) / N) / N)
  sd / exp(0.2 * log(N))
}
kern <- function(u) exp(-(u^2) / 2) / sqrt(2 * pi)
dens_F <- function(x, y, w, h) sum(kern((x - y) / h) * w) / (sum(w) * h)
dens_S <- function(x, y, w, h) sum(kern((x - y) / h) * w * y) / h

# Quantile (survey qrule "math" = rule ge, as convey's svyquantile call) and
# its linearised variable -(1/(N f(q))) (1(y <= q) - p).
quantile_lin <- function(y, w, dom, p) {
  yd <- y[dom]; wd <- w[dom]
  q <- wquantile(yd, wd, p, "ge")
  h <- h_fun(yd, wd)
  fq <- dens_F(q, yd, wd, h)
  N <- sum(wd)
  lin <- numeric(length(y))
  lin[dom] <- -(1 / (N * fq)) * ((yd <= q) - p)
  list(est = q, lin = lin, h = h, f = fq, q_gt = wquantile(yd, wd, p, "gt"))
}

# At-risk-of-poverty threshold percent x median over population `pop`.
arpt_lin <- function(y, w, pop, percent = 0.6) {
  ql <- quantile_lin(y, w, pop, 0.5)
  list(est = percent * ql$est, lin = percent * ql$lin, q = ql)
}

# FGT(g) in domain `dom` at an estimated line (list est, lin); poor: y < line.
# g = 0 follows svyarpr (density of the domain at the line), g >= 1 svyfgt.
fgt_lin <- function(y, w, dom, line, g) {
  th <- line$est
  yd <- y[dom]; wd <- w[dom]; N <- sum(wd)
  hf <- function(v) ifelse(v < th, ((th - v) / th)^g, 0)
  rval <- sum(wd * hf(yd)) / N
  lin <- numeric(length(y))
  lin[dom] <- (hf(yd) - rval) / N
  if (g == 0) {
    slope <- dens_F(th, yd, wd, h_fun(yd, wd))
  } else {
    slope <- sum(wd * ifelse(yd < th, g * ((th - yd) / th)^(g - 1) * yd / th^2, 0)) / N
  }
  list(est = rval, lin = lin + slope * line$lin, slope = slope,
       weak_equal = isTRUE(all.equal(sum(wd * (yd <= th)), sum(wd * (yd < th)))))
}
