# ref_regression.R -- set 5: weighted least squares (lm with weights) and
# design-based regression (survey::svyglm, gaussian) on apistrat and eusilc,
# plus a weighted AUC reference computed by brute force over all pairs.
#
# Writes tests/data/r/auc.csv and tests/data/r/ref_regression.csv
# (apistrat.csv and eusilc.csv come from sets 3 and 1).

source(file.path("scripts", "r", "common.R"))

data(api, package = "survey")
data(eusilc, package = "laeken")
options(survey.lonely.psu = "fail")

refs <- new_refs()
LEVEL <- 0.95

emit_lm <- function(dataset, label, fit, note) {
  s <- summary(fit)
  cf <- s$coefficients
  ci <- confint(fit, level = LEVEL)
  dfr <- fit$df.residual
  add_ref(refs, dataset, label, "", "", "", "coef", rownames(cf), cf[, 1], cf[, 2],
          ci[, 1], ci[, 2], dfr, NA, source = "lm",
          note = paste0(note, "; model-based SE; CI t with df = n - p"))
  add_ref(refs, dataset, label, "", "", "", "r2", "", s$r.squared, df = dfr, source = "lm",
          note = "1 - sum w e^2 / sum w (y - weighted mean)^2")
  add_ref(refs, dataset, label, "", "", "", "adj_r2", "", s$adj.r.squared, df = dfr,
          source = "lm", note = "1 - (1 - r2) (n - 1)/(n - p)")
  add_ref(refs, dataset, label, "", "", "", "sigma", "", s$sigma, df = dfr, source = "lm",
          note = "sqrt(sum w e^2 / (n - p))")
  add_ref(refs, dataset, label, "", "", "", "n", "", length(fit$residuals), source = "lm",
          note = "rows used")
  add_ref(refs, dataset, label, "", "", "", "df_resid", "", dfr, source = "lm", note = "n - p")
}

emit_svyglm <- function(dataset, label, fit, note) {
  cf <- summary(fit)$coefficients
  ci <- confint(fit, level = LEVEL)            # Wald, t with df = fit$df.residual
  dfr <- fit$df.residual
  add_ref(refs, dataset, label, "", "", "", "coef", rownames(cf), cf[, 1], cf[, 2],
          ci[, 1], ci[, 2], dfr, NA, source = "svyglm",
          note = paste0(note, "; sandwich (linearisation) SE; CI t with df = degf(design) + 1 - p"))
  add_ref(refs, dataset, label, "", "", "", "df_resid", "", dfr, source = "svyglm",
          note = "degf(design) + 1 - p (survey's residual df)")
  add_ref(refs, dataset, label, "", "", "", "n", "", length(fit$residuals), source = "svyglm",
          note = "rows used")
}

# ---- api: api00 ~ ell + meals + mobility + factor(stype), weights pw --------------
apistrat$stype <- as.character(apistrat$stype)
FA <- api00 ~ ell + meals + mobility + factor(stype)
NOTE_A <- "api00 ~ ell + meals + mobility + factor(stype); reference level E"
emit_lm("apistrat", "weights=pw", lm(FA, data = apistrat, weights = pw), NOTE_A)
emit_svyglm("apistrat", "ids=1;strata=stype;weights=pw;fpc=fpc",
            svyglm(FA, svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                                 data = apistrat)), NOTE_A)
emit_svyglm("apistrat", "ids=1;strata=stype;weights=pw",
            svyglm(FA, svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)),
            NOTE_A)

# ---- eusilc: log(eqIncome) ~ age + hsize + factor(db040), weights rb050 ------------
eu <- eusilc
eu$db040 <- as.character(eu$db040)
FE <- log(eqIncome) ~ age + hsize + factor(db040)
NOTE_E <- "log(eqIncome) ~ age + hsize + factor(db040), rows with eqIncome > 0; reference level Burgenland"
emit_lm("eusilc", "weights=rb050", lm(FE, data = eu[eu$eqIncome > 0, ], weights = rb050), NOTE_E)
des_eu <- svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = eu)
emit_svyglm("eusilc", "ids=db030;strata=db040;weights=rb050",
            svyglm(FE, subset(des_eu, eqIncome > 0)),
            paste(NOTE_E, "(svyglm on subset(design, eqIncome > 0))"))

# ---- weighted AUC ---------------------------------------------------------------
# 401 persons of eusilc (every 37th row).  target poor = eqIncome < 10000; score =
# a proxy-means-test prediction of log income from age, hsize, eqSS, region,
# fitted on all of eusilc; `score` is rounded to 1 decimal (ties), `score_exact`
# is not.  Convention: a low score means predicted poor, so
#   AUC = sum_{i poor} sum_{j non-poor} w_i w_j [1(s_i < s_j) + 0.5 1(s_i == s_j)]
#         / (sum_poor w x sum_nonpoor w).
pmt <- lm(log(pmax(eqIncome, 1)) ~ age + hsize + eqSS + db040, data = eu, weights = rb050)
idx <- seq(1, nrow(eu), by = 37)
auc_df <- data.frame(
  id = idx,
  poor = as.integer(eu$eqIncome[idx] < 10000),
  score = round(unname(predict(pmt, eu[idx, ])), 1),
  score_exact = unname(predict(pmt, eu[idx, ])),
  weight = eu$rb050[idx])
write_data(auc_df, "auc.csv")

auc_pairs <- function(s, t, w) {
  P <- t == 1
  sp <- s[P]; wp <- w[P]; sn <- s[!P]; wn <- w[!P]
  lt <- outer(sp, sn, "<"); eq <- outer(sp, sn, "==")
  sum(outer(wp, wn) * (lt + 0.5 * eq)) / (sum(wp) * sum(wn))
}
for (sc in c("score", "score_exact")) {
  s <- auc_df[[sc]]
  a_w <- auc_pairs(s, auc_df$poor, auc_df$weight)
  a_u <- auc_pairs(s, auc_df$poor, rep(1, nrow(auc_df)))
  # unweighted check: Mann-Whitney W of (non-poor vs poor) / (n1 n0)
  wt <- suppressWarnings(wilcox.test(s[auc_df$poor == 0], s[auc_df$poor == 1], exact = FALSE))
  stopifnot(abs(unname(wt$statistic) / (sum(auc_df$poor == 0) * sum(auc_df$poor == 1)) - a_u) < 1e-12)
  note <- paste0("all pairs: P(score_poor < score_nonpoor) + 0.5 P(tie); target poor; ",
                 if (sc == "score") "score rounded to 0.1 (ties)" else "no ties")
  add_ref(refs, "auc", "weights=weight", "", "", "", "auc", sc, a_w, source = "formula",
          note = paste(note, "; pair weight w_i w_j"))
  add_ref(refs, "auc", "", "", "", "", "auc", sc, a_u, source = "formula",
          note = paste(note, "; unweighted (= Mann-Whitney W / (n1 n0))"))
}
add_ref(refs, "auc", "weights=weight", "", "", "", "population", "poor",
        sum(auc_df$weight[auc_df$poor == 1]), source = "formula", note = "sum of weights of the poor")
add_ref(refs, "auc", "", "", "", "", "n", "poor", sum(auc_df$poor == 1), source = "formula",
        note = "rows with poor = 1")

write_refs(refs, "ref_regression.csv")
