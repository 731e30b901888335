# ref_targeting.R -- set 6: targeting metrics and the proxy-means test.
#
# Data: tests/data/targeting/synth2k.csv, 2,000 households made by
# `pkh synth --households 2000 --seed 11` (committed; R never runs pkh).
# Design: ids = psu, strata = prov_code (34 strata, every one with >= 2 PSUs),
# weights = weight (households); person weights are weight x hhsize, which enter
# through the numerators and denominators below.
#
# In ref_targeting.csv the targeting rows carry their setting in `param`
# (recipient or score and quota, benchmark, benefit, groups); regression rows
# carry the term, as in set 5.
#
# Writes tests/data/r/ref_targeting_scores.csv (hhid, score, score_tied,
# benefit: columns pkh's tests join to synth2k.csv row by row) and
# tests/data/r/ref_targeting.csv:
#   * every targeting metric with a recipient column (pkh) and the line
#     povline, with survey's svyratio / svytotal / svycontrast SEs; domains by
#     urban (svyby);
#   * the same with a score (score_tied, a PMT prediction rounded to 0.1, so
#     with ties) at a quota of 0.2 of persons, the benchmark share:0.25, and a
#     benefit column; the weighted AUC by all pairs, with a linearised SE from
#     the exact derivative of the AUC in each weight;
#   * lm / svyglm of log(pcexp) on numeric and categorical covariates, and lm
#     by urban (separate models);
#   * leave-one-out cross-validation of the apistrat model of set 5 from the
#     hat values: e_i / (1 - h_ii).

source(file.path("scripts", "r", "common.R"))
options(survey.lonely.psu = "fail")

refs <- new_refs()
LEVEL <- 0.95
d <- read.csv(file.path("tests", "data", "targeting", "synth2k.csv"))
DS <- "targeting_synth2k"
DLAB <- "ids=psu;strata=prov_code;weights=weight;size=hhsize"
des0 <- svydesign(ids = ~psu, strata = ~prov_code, weights = ~weight, data = d)
DF <- degf(des0)

# ---- a PMT score, its tied version, and a benefit ---------------------------
FP <- log(pcexp) ~ hhsize + assets + n_working + factor(roof) + factor(floor) +
  factor(head_educ)
pmt <- lm(FP, data = d, weights = weight)
d$score <- unname(predict(pmt))  # X %*% beta: equal covariates give equal (tied) scores
d$score_tied <- round(d$score, 1)
d$benefit <- 150000 + 50000 * d$n_sd + 75000 * d$n_child06
write_data(d[, c("hhid", "score", "score_tied", "benefit")], "ref_targeting_scores.csv")

pw <- d$weight * d$hhsize
gt <- function(y, p) wquantile(y, pw, p, "gt")

# Classes of each row: b benchmark, r receives, q welfare group (1..G).
classes <- function(b, r, G) {
  bounds <- gt(d$pcexp, (1:(G - 1)) / G)
  q <- 1 + vapply(d$pcexp, function(x) sum(x >= bounds), 0)
  list(b = as.numeric(b), r = as.numeric(r), q = q, G = G)
}

emit <- function(label, by, group, ind, est, se, note, src = "survey") {
  t <- qt(1 - (1 - LEVEL) / 2, DF)
  add_ref(refs, DS, DLAB, "", by, group, ind, label, est, se, est - t * se, est + t * se,
          DF, NA, source = src, note = note)
}

rat <- function(des, num, den) {
  r <- svyratio(num, den, des)
  c(coef(r), SE(r))
}
tot <- function(des, v) {
  r <- svytotal(v, des)
  c(coef(r), SE(r))
}

# Every metric of one setting (whole population).
emit_metrics <- function(label, cl, ben, note) {
  G <- cl$G
  sfx <- if (G == 5) "q" else "d"
  des <- update(des0, b = cl$b, r = cl$r, q = cl$q, s = d$hhsize, ben = ben,
                b40 = as.numeric(cl$q <= 0.4 * G))
  m <- list(
    coverage_poor = rat(des, ~I(b * r * s), ~I(b * s)),
    leakage = rat(des, ~I((1 - b) * r * s), ~I(r * s)),
    inclusion_error_nonpoor = rat(des, ~I((1 - b) * r * s), ~I((1 - b) * s)),
    coverage = rat(des, ~I(r * s), ~s),
    cgh = rat(des, ~I(b40 * r * ben), ~I(r * ben)) * 2.5,
    undercoverage_persons = tot(des, ~I(b * (1 - r) * s)),
    undercoverage_families = tot(des, ~I(b * (1 - r))),
    leakage_persons = tot(des, ~I((1 - b) * r * s)),
    leakage_families = tot(des, ~I((1 - b) * r)))
  m$exclusion_error <- c(1 - m$coverage_poor[1], m$coverage_poor[2])
  td <- svycontrast(svytotal(~I(b * r * s) + I(b * s) + I((1 - b) * r * s) + I((1 - b) * s),
                             des),
                    quote(`I(b * r * s)` / `I(b * s)` - `I((1 - b) * r * s)` / `I((1 - b) * s)`))
  m$targeting_differential <- c(coef(td), SE(td))
  for (k in 1:G) {
    desk <- update(des, inq = as.numeric(q == k))
    m[[sprintf("coverage_%s%d", sfx, k)]] <- rat(desk, ~I(inq * r * s), ~I(inq * s))
    m[[sprintf("benefit_share_%s%d", sfx, k)]] <- rat(desk, ~I(inq * r * ben), ~I(r * ben))
  }
  for (nm in names(m)) {
    emit(label, "", "", nm, m[[nm]][1], m[[nm]][2], note)
  }
  invisible(des)
}

# Domains by urban for a few metrics (svyby svyratio).
emit_domains <- function(label, des, note) {
  sets <- list(coverage_poor = list(~I(b * r * s), ~I(b * s)),
               leakage = list(~I((1 - b) * r * s), ~I(r * s)),
               coverage_q1 = list(~I((q == 1) * r * s), ~I((q == 1) * s)))
  for (nm in names(sets)) {
    r <- svyby(sets[[nm]][[1]], ~urban, denominator = sets[[nm]][[2]], des, svyratio)
    for (i in seq_len(nrow(r))) {
      emit(label, "urban", r$urban[i], nm, coef(r)[i], SE(r)[i],
           paste(note, "; svyby(urban) svyratio: domain estimate over the full design"))
    }
  }
}

# ---- setting 1: the pkh recipient flag, benchmark line:povline, quintiles --
cl1 <- classes(d$pcexp < d$povline, d$pkh != 0, 5)
N1 <- "recipient pkh; benchmark pcexp < povline; person weights weight x hhsize; quintiles by rule gt; recipients stand for benefits"
des1 <- emit_metrics("recipient=pkh;benchmark=line:povline;groups=5", cl1, d$hhsize, N1)
emit_domains("recipient=pkh;benchmark=line:povline;groups=5", des1, N1)

# ---- setting 2: deciles, a fixed line ---------------------------------------
cl2 <- classes(d$pcexp < 600000, d$pkh != 0, 10)
emit_metrics("recipient=pkh;benchmark=line:600000;groups=10", cl2, d$hhsize,
             "recipient pkh; benchmark pcexp < 600000; deciles by rule gt")

# ---- setting 3: a tied score at a quota, share benchmark, a benefit --------
cut <- gt(d$score_tied, 0.2)
line3 <- gt(d$pcexp, 0.25)
cl3 <- classes(d$pcexp < line3, d$score_tied < cut, 5)
L3 <- "score=score_tied;quota=0.2;benchmark=share:0.25;benefit=benefit;groups=5"
N3 <- sprintf("eligible: score_tied < %.17g (the 0.2 quantile of persons, rule gt; ties at the cut-off not eligible); benchmark pcexp < %.17g (its 0.25 quantile); benefit column, 0 for non-recipients", cut, line3)
des3 <- emit_metrics(L3, cl3, d$benefit, N3)
emit_domains(L3, des3, N3)
add_ref(refs, DS, DLAB, "", "", "", "cutoff", L3, cut, source = "formula",
        note = "weighted 0.2 quantile of score_tied, person weights, rule gt")
add_ref(refs, DS, DLAB, "", "", "", "line", L3, line3, source = "formula",
        note = "weighted 0.25 quantile of pcexp, person weights, rule gt")

# The AUC by all pairs and its linearised SE: z_k = w_k dAUC/dw_k, exactly.
auc_ref <- function(score, b, dom) {
  s <- d$hhsize * dom
  p <- d$weight * s
  K <- outer(score, score, "<") + 0.5 * outer(score, score, "==")
  A <- K * outer(b, 1 - b)
  P <- sum(p * b)
  N <- sum(p * (1 - b))
  U <- drop(t(p) %*% A %*% p)
  auc <- U / (P * N)
  dU <- s * drop(A %*% p + t(A) %*% p)
  dD <- s * (b * N + (1 - b) * P)
  z <- d$weight * (dU - auc * dD) / (P * N)
  dz <- update(des0, zz = z / d$weight)
  c(auc, SE(svytotal(~zz, dz)))
}
a <- auc_ref(d$score_tied, cl3$b, 1)
emit(L3, "", "", "auc", a[1], a[2],
     "all pairs: sum p_i p_j [1(s_i < s_j) + 0.5 1(s_i = s_j)] / (P N), p = weight x hhsize; SE: svytotal of z_k = w_k dAUC/dw_k (exact derivative)",
     src = "formula")
for (u in sort(unique(d$urban))) {
  a <- auc_ref(d$score_tied, cl3$b, as.numeric(d$urban == u))
  emit(L3, "urban", u, "auc", a[1], a[2], "as the whole-population auc, within the domain",
       src = "formula")
}

# ---- setting 4: the exact PMT score at a quota of 0.15, benchmark povline ----
# (what `pkh pmt --quota 0.15 --benchmark line:povline --size hhsize` evaluates in-sample)
cl4 <- classes(d$pcexp < d$povline, d$score < gt(d$score, 0.15), 5)
L4 <- "score=score;quota=0.15;benchmark=line:povline;groups=5"
N4 <- "eligible: score (lm fitted values) < its 0.15 quantile of persons; benchmark pcexp < povline"
des4 <- emit_metrics(L4, cl4, d$hhsize, N4)
a <- auc_ref(d$score, cl4$b, 1)
emit(L4, "", "", "auc", a[1], a[2], "all pairs, as setting 3", src = "formula")
add_ref(refs, DS, DLAB, "", "", "", "cutoff", L4, gt(d$score, 0.15), source = "formula",
        note = "weighted 0.15 quantile of score, person weights, rule gt")

# ---- the proxy-means test ----------------------------------------------------
emit_fit <- function(label, fit, src, by = "", group = "") {
  cf <- summary(fit)$coefficients
  dfr <- fit$df.residual
  ci <- confint(fit, level = LEVEL)
  add_ref(refs, DS, label, "", by, group, "coef", rownames(cf), cf[, 1], cf[, 2], ci[, 1],
          ci[, 2], dfr, NA, source = src,
          note = "log(pcexp) ~ hhsize + assets + n_working + factor(roof) + factor(floor) + factor(head_educ)")
  if (src == "lm") {
    s <- summary(fit)
    add_ref(refs, DS, label, "", by, group, "r2", "", s$r.squared, source = src)
    add_ref(refs, DS, label, "", by, group, "adj_r2", "", s$adj.r.squared, source = src)
    add_ref(refs, DS, label, "", by, group, "sigma", "", s$sigma, source = src)
  }
  add_ref(refs, DS, label, "", by, group, "n", "", length(fit$residuals), source = src)
  add_ref(refs, DS, label, "", by, group, "df_resid", "", dfr, source = src)
}
emit_fit("weights=weight", pmt, "lm")
emit_fit("ids=psu;strata=prov_code;weights=weight", svyglm(FP, des0), "svyglm")
for (u in sort(unique(d$urban))) {
  emit_fit("weights=weight", lm(FP, data = d[d$urban == u, ], weights = weight), "lm",
           "urban", u)
}

# ---- leave-one-out cross-validation of set 5's apistrat model ---------------
api <- read.csv(file.path(REF_DIR, "apistrat.csv"))
fa <- lm(api00 ~ ell + meals + mobility + factor(stype), data = api, weights = pw)
eloo <- residuals(fa) / (1 - hatvalues(fa))
ybar <- sum(api$pw * api$api00) / sum(api$pw)
add_ref(refs, "apistrat", "weights=pw", "", "", "", "cv_rmse", "loo",
        sqrt(sum(api$pw * eloo^2) / sum(api$pw)), source = "lm",
        note = "leave-one-out: e_i / (1 - h_ii) from hatvalues(); sqrt(sum w e^2 / sum w)")
add_ref(refs, "apistrat", "weights=pw", "", "", "", "cv_r2", "loo",
        1 - sum(api$pw * eloo^2) / sum(api$pw * (api$api00 - ybar)^2), source = "lm",
        note = "1 - sum w e_loo^2 / sum w (y - weighted mean)^2")
add_ref(refs, "apistrat", "weights=pw", "", "", "", "loo_pred", "first",
        api$api00[1] - eloo[1], source = "lm", note = "out-of-sample prediction of row 1")

write_refs(refs, "ref_targeting.csv")
