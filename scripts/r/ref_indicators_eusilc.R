# ref_indicators_eusilc.R -- set 1: point estimates of every indicator on
# laeken's synthetic EU-SILC data (14,827 persons), income eqIncome, person
# weight rb050 (person-level data: size = 1), groups db040 (region) and rb090
# (gender).
#
# Writes tests/data/r/eusilc.csv and tests/data/r/ref_indicators_eusilc.csv.

source(file.path("scripts", "r", "common.R"))

data(eusilc, package = "laeken")
eu <- eusilc

# ---- export the data ------------------------------------------------------
export_cols <- c("db030", "hsize", "db040", "rb030", "age", "rb090", "eqSS",
                 "eqIncome", "db090", "rb050", "hy050n")
write_data(eu[, export_cols], "eusilc.csv")

DS <- "eusilc"
DESIGN <- "weights=rb050"          # no design: point estimates only
y <- eu$eqIncome
w <- eu$rb050
refs <- new_refs()

close_enough <- function(a, b, what, tol = 1e-12) {
  if (any(abs(a - b) > tol * pmax(1, abs(b))))
    stop("self-check failed: ", what, ": ", paste(a, b, collapse = " / "))
}

BYS <- c("db040", "rb090")
LINE_REL <- "rel:0.6:median"
LINE_WITHIN <- "rel:0.6:median:within"
LINE_FIXED <- "10000"
LINE_MEAN <- "rel:0.6:mean"

z_nat <- line_value(LINE_REL, y, w)
z_mean <- line_value(LINE_MEAN, y, w)

# ---- whole population: direct formulas -------------------------------------
emit_inequality(refs, DS, DESIGN, "", "", y, w)
emit_poverty(refs, DS, DESIGN, LINE_REL, "", "", y, w, z_nat)
emit_poverty(refs, DS, DESIGN, LINE_FIXED, "", "", y, w, 10000)
emit_poverty(refs, DS, DESIGN, LINE_MEAN, "", "", y, w, z_mean)

# ---- groups ----------------------------------------------------------------
for (b in BYS) {
  g <- as.character(eu[[b]])
  for (k in sort_keys(g)) {
    s <- g == k
    emit_inequality(refs, DS, DESIGN, b, k, y[s], w[s])
    emit_poverty(refs, DS, DESIGN, LINE_REL, b, k, y[s], w[s], z_nat,
                 line_note = "national line (whole-population median) applied in the group")
    emit_poverty(refs, DS, DESIGN, LINE_WITHIN, b, k, y[s], w[s],
                 line_value(LINE_REL, y[s], w[s]),
                 line_note = "line = 0.6 x the group's own median")
    emit_poverty(refs, DS, DESIGN, LINE_FIXED, b, k, y[s], w[s], 10000)
    emit_poverty(refs, DS, DESIGN, LINE_MEAN, b, k, y[s], w[s], z_mean,
                 line_note = "national line (0.6 x whole-population mean)")
  }
  emit_fgt_decomposition(refs, DS, DESIGN, LINE_FIXED, b, g, y, w, 10000)
  emit_fgt_decomposition(refs, DS, DESIGN, LINE_REL, b, g, y, w, z_nat)
  emit_ge_decomposition(refs, DS, DESIGN, b, g, y, w)
}

# ---- laeken's own functions --------------------------------------------------
L <- function(line, by, group, indicator, param, estimate, note)
  add_ref(refs, DS, DESIGN, line, by, group, indicator, param, estimate,
          source = "laeken", note = note)

arpt_nat <- arpt("eqIncome", "rb050", data = eu)
close_enough(arpt_nat, z_nat, "arpt")
L(LINE_REL, "", "", "line", "", arpt_nat, "laeken::arpt (0.6 x weightedMedian)")
L("", "", "", "median", "", weightedMedian(y, w), "laeken::weightedMedian")
L("", "", "", "quantile", fmt_p(P_QUANT), weightedQuantile(y, w, P_QUANT),
  "laeken::weightedQuantile")
close_enough(weightedQuantile(y, w, P_QUANT), wquantile(y, w, P_QUANT, "gt"), "quantiles")
close_enough(unname(incQuintile(y, w)), wquantile(y, w, c(0.2, 0.8), "gt"), "incQuintile")
L("", "", "", "mean", "", weightedMean(y, w), "laeken::weightedMean")

for (b in BYS) {
  first <- b == BYS[1]             # whole-population rows once
  ar <- arpr("eqIncome", "rb050", data = eu, breakdown = b)
  if (first) L(LINE_REL, "", "", "fgt0", "", ar$value / 100,
               "laeken::arpr / 100 (poor: y < threshold)")
  for (i in seq_len(nrow(ar$valueByStratum))) {
    k <- as.character(ar$valueByStratum$stratum[i])
    L(LINE_REL, b, k, "fgt0", "", ar$valueByStratum$value[i] / 100,
      "laeken::arpr(breakdown=) / 100: NATIONAL threshold applied in each group (laeken default)")
    s <- as.character(eu[[b]]) == k
    close_enough(ar$valueByStratum$value[i] / 100, fgt(y[s], w[s], z_nat, 0), "arpr by")
  }
  af <- arpr("eqIncome", "rb050", data = eu, breakdown = b, threshold = 10000)
  if (first) L(LINE_FIXED, "", "", "fgt0", "", af$value / 100,
               "laeken::arpr(threshold=10000) / 100")
  for (i in seq_len(nrow(af$valueByStratum)))
    L(LINE_FIXED, b, as.character(af$valueByStratum$stratum[i]), "fgt0", "",
      af$valueByStratum$value[i] / 100, "laeken::arpr(threshold=10000, breakdown=) / 100")

  gi <- gini("eqIncome", "rb050", data = eu, breakdown = b)
  if (first) L("", "", "", "gini", "", gi$value / 100, "laeken::gini / 100")
  close_enough(gi$value / 100, gini_laeken(y, w), "gini")
  for (i in seq_len(nrow(gi$valueByStratum)))
    L("", b, as.character(gi$valueByStratum$stratum[i]), "gini", "",
      gi$valueByStratum$value[i] / 100, "laeken::gini(breakdown=) / 100")

  qs <- qsr("eqIncome", "rb050", data = eu, breakdown = b)
  if (first) L("", "", "", "s80s20", "", qs$value,
    "laeken::qsr: TOTAL income above q80 / TOTAL income at or below q20")
  for (i in seq_len(nrow(qs$valueByStratum)))
    L("", b, as.character(qs$valueByStratum$stratum[i]), "s80s20", "",
      qs$valueByStratum$value[i], "laeken::qsr(breakdown=)")

  g <- as.character(eu[[b]])
  for (k in sort_keys(g)) {
    s <- g == k
    # within-group threshold: laeken on the subset
    sub <- eu[s, ]
    at <- arpt("eqIncome", "rb050", data = sub)
    L(LINE_WITHIN, b, k, "line", "", at, "laeken::arpt on the group's rows")
    close_enough(at, line_value(LINE_REL, y[s], w[s]), "arpt within")
    L(LINE_WITHIN, b, k, "fgt0", "", arpr("eqIncome", "rb050", data = sub)$value / 100,
      "laeken::arpr on the group's rows / 100 (group's own threshold)")
    L(LINE_REL, b, k, "line", "", arpt_nat, "laeken::arpt of the whole population")
    L("", b, k, "median", "", weightedMedian(y[s], w[s]), "laeken::weightedMedian")
    L("", b, k, "quantile", fmt_p(P_QUANT), weightedQuantile(y[s], w[s], P_QUANT),
      "laeken::weightedQuantile")
    L("", b, k, "mean", "", weightedMean(y[s], w[s]), "laeken::weightedMean")
  }
}

write_refs(refs, "ref_indicators_eusilc.csv")
