# ref_small.R -- set 2: tiny hand-made household datasets with every
# indicator.  Household rows: income y (per person), weight, size (persons);
# person weight = weight x size.
#
# Writes tests/data/r/small_{ties,zero_neg,boundary,groups}.csv and
# tests/data/r/ref_small.csv.

source(file.path("scripts", "r", "common.R"))

refs <- new_refs()
DESIGN <- "weights=weight;size=size"

# Shortest decimal that reads back as the same double (for line specs).
shortest <- function(x) {
  for (d in 1:17) {
    s <- sprintf(paste0("%.", d, "g"), x)
    if (as.numeric(s) == x) return(s)
  }
  sprintf("%.17g", x)
}

datasets <- list(
  # Ties in y across rows with different weights and sizes.
  small_ties = data.frame(
    id = 1:8,
    y = c(4, 4, 6, 6, 9, 12, 12, 20),
    weight = c(1.5, 2, 1, 0.5, 2, 1, 1.5, 1),
    size = c(2, 1, 3, 2, 2, 1, 4, 2),
    region = c("A", "B", "A", "B", "A", "B", "A", "B")),
  # A negative and two zero incomes.
  small_zero_neg = data.frame(
    id = 1:10,
    y = c(-1, 0, 0, 2, 5, 5, 8, 11, 15, 30),
    weight = c(1, 2, 1, 1.5, 1, 2, 1, 0.5, 1, 2),
    size = c(2, 1, 1, 2, 3, 1, 2, 4, 1, 2),
    area = c("R", "U", "R", "U", "R", "U", "R", "U", "R", "U")),
  # Person weights 1,2,2,2,2,1 (W = 10): cumulative shares 0.1, 0.3, 0.5, 0.7,
  # 0.9, 1 hit p = 0.1, 0.3, 0.5, 0.7, 0.9 exactly, so the quantile rule
  # decides: median = 10 (gt), 8 (ge), 9 (ge_avg) -> line 6, 4.8, 5.4, and the
  # row with y = 5 is poor under 6 and 5.4 but not under 4.8.
  small_boundary = data.frame(
    id = 1:6,
    y = c(3, 5, 8, 10, 20, 30),
    weight = c(1, 1, 0.5, 2, 0.25, 1),
    size = c(1, 2, 4, 1, 8, 1)),
  # Three groups for the decompositions; rows out of income order.
  small_groups = data.frame(
    id = 1:12,
    y = c(7, 3, 1, 3, 14, 2, 9, 6, 40, 5, 18, 10),
    weight = c(1.5, 2, 1, 1, 1, 1, 2, 1, 1, 0.5, 2, 1),
    size = c(2, 2, 3, 1, 1, 4, 3, 2, 3, 2, 1, 2),
    grp = c("a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"))
)
FIXED <- c(small_ties = 7, small_zero_neg = 6, small_boundary = 6, small_groups = 8)
GROUPCOL <- c(small_ties = "region", small_zero_neg = "area",
              small_boundary = NA, small_groups = "grp")

for (ds in names(datasets)) {
  d <- datasets[[ds]]
  write_data(d, paste0(ds, ".csv"))
  y <- d$y
  w <- d$weight * d$size
  fixed <- shortest(FIXED[[ds]])
  lines <- c(fixed, "rel:0.6:median", "rel:0.6:mean", "rel:0.5:median")

  emit_inequality(refs, ds, DESIGN, "", "", y, w)
  # Independent check: laeken's Gini is the weighted mean absolute difference
  # sum_i sum_j w_i w_j |y_i - y_j| / (2 W^2 mean).
  G_pairs <- sum(outer(w, w) * abs(outer(y, y, "-"))) / (2 * sum(w)^2 * wmean(y, w))
  stopifnot(abs(G_pairs - gini_laeken(y, w)) < 1e-14)
  zs <- sapply(lines, function(l) line_value(l, y, w))
  for (i in seq_along(lines))
    emit_poverty(refs, ds, DESIGN, lines[i], "", "", y, w, zs[[i]])

  # laeken on the same person-level weights
  L <- function(line, by, group, indicator, param, estimate, note)
    add_ref(refs, ds, DESIGN, line, by, group, indicator, param, estimate,
            source = "laeken", note = note)
  L("", "", "", "quantile", fmt_p(P_QUANT), weightedQuantile(y, w, P_QUANT),
    "laeken::weightedQuantile")
  stopifnot(all(weightedQuantile(y, w, P_QUANT) == wquantile(y, w, P_QUANT, "gt")))
  L("", "", "", "median", "", weightedMedian(y, w), "laeken::weightedMedian")
  L("rel:0.6:median", "", "", "line", "", arpt(y, w), "laeken::arpt")
  L("rel:0.6:median", "", "", "fgt0", "", arpr(y, w)$value / 100, "laeken::arpr / 100")
  L(fixed, "", "", "fgt0", "", arpr(y, w, threshold = FIXED[[ds]])$value / 100,
    "laeken::arpr(threshold=) / 100")
  L("", "", "", "gini", "", gini(y, w)$value / 100, "laeken::gini / 100")
  L("", "", "", "s80s20", "", qsr(y, w)$value, "laeken::qsr (ratio of totals)")

  gc <- GROUPCOL[[ds]]
  if (!is.na(gc)) {
    g <- d[[gc]]
    z_nat <- zs[["rel:0.6:median"]]
    for (k in sort_keys(g)) {
      s <- g == k
      emit_inequality(refs, ds, DESIGN, gc, k, y[s], w[s])
      emit_poverty(refs, ds, DESIGN, fixed, gc, k, y[s], w[s], FIXED[[ds]])
      emit_poverty(refs, ds, DESIGN, "rel:0.6:median", gc, k, y[s], w[s], z_nat,
                   line_note = "national line (whole-population median) applied in the group")
      emit_poverty(refs, ds, DESIGN, "rel:0.6:median:within", gc, k, y[s], w[s],
                   line_value("rel:0.6:median", y[s], w[s]),
                   line_note = "line = 0.6 x the group's own median")
      L("", gc, k, "gini", "", gini(y[s], w[s])$value / 100, "laeken::gini / 100")
      L("", gc, k, "median", "", weightedMedian(y[s], w[s]), "laeken::weightedMedian")
    }
    ar <- arpr(y, w, breakdown = g)
    for (i in seq_len(nrow(ar$valueByStratum)))
      L("rel:0.6:median", gc, as.character(ar$valueByStratum$stratum[i]), "fgt0", "",
        ar$valueByStratum$value[i] / 100,
        "laeken::arpr(breakdown=) / 100: national threshold in each group")
    emit_fgt_decomposition(refs, ds, DESIGN, fixed, gc, g, y, w, FIXED[[ds]])
    emit_fgt_decomposition(refs, ds, DESIGN, "rel:0.6:median", gc, g, y, w, z_nat)
    emit_ge_decomposition(refs, ds, DESIGN, gc, g, y, w)
  }

  if (ds == "small_boundary") {
    # The exact-boundary comparison must not depend on how it is computed.
    W <- sum(w[order(y)])
    cw <- cumsum(w[order(y)])
    for (p in c(0.1, 0.3, 0.5, 0.7, 0.9))
      stopifnot(any(cw / W == p), any(cw == p * W))
    # The same poverty indicators at 0.6 x the median under the other rules,
    # given as the numeric line they produce.
    for (rule in c("ge", "ge_avg")) {
      z <- 0.6 * wquantile(y, w, 0.5, rule)
      emit_poverty(refs, ds, DESIGN, shortest(z), "", "", y, w, z,
                   line_note = paste0("= 0.6 x median under ", QRULE_NOTE[[rule]]))
    }
    stopifnot(wquantile(y, w, 0.5, "gt") == 10, wquantile(y, w, 0.5, "ge") == 8,
              wquantile(y, w, 0.5, "ge_avg") == 9)
    # survey's qrules agree with the ge / ge_avg rules here
    stopifnot(survey:::qrule_math(y, w, 0.5) == 8, survey:::qrule_school(y, w, 0.5) == 9)
  }
}

write_refs(refs, "ref_small.csv")
