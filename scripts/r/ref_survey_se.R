# ref_survey_se.R -- set 3: design-based (Taylor linearisation) standard
# errors from the survey package for linear statistics: means, totals, ratios,
# domain (svyby) means and ratios, FGT(0,1,2) at a fixed line as svymean of
# the FGT variable, design degrees of freedom, Student-t confidence intervals
# (confint(..., df = degf(design)), level 0.95) and design effects
# (deff = TRUE).  Also lonely-PSU handling on a tiny design.
#
# Writes tests/data/r/apistrat.csv, apiclus1.csv, apiclus2.csv,
# small_lonely.csv and tests/data/r/ref_survey_se.csv.

source(file.path("scripts", "r", "common.R"))

data(api, package = "survey")
data(eusilc, package = "laeken")
options(survey.lonely.psu = "fail")

API_COLS <- c("cds", "stype", "dnum", "snum", "pw", "fpc", "api00", "api99",
              "enroll", "ell", "meals", "mobility")
write_data(apistrat[, API_COLS], "apistrat.csv")
write_data(apiclus1[, API_COLS], "apiclus1.csv")
write_data(apiclus2[, c(setdiff(API_COLS, "fpc"), "fpc1", "fpc2")], "apiclus2.csv")

refs <- new_refs()
LEVEL <- 0.95
DEFF_NOTE <- "deff: survey deff=TRUE (vs SRS without replacement: svyvar/n x (N-n)/N)"

# One svystat / svyratio / svyby object -> rows.
emit_stat <- function(dataset, design_label, des, obj, indicator, param = "",
                      line = "", by = "", groups = "", note = "") {
  df <- degf(des)
  est <- coef(obj)
  se <- SE(obj)
  ci <- confint(obj, level = LEVEL, df = df)
  dd <- tryCatch(suppressWarnings(deff(obj)), error = function(e) NA)
  if (is.null(dd) || length(dd) != length(est)) dd <- rep(NA, length(est))
  add_ref(refs, dataset, design_label, line, by, groups, indicator, param,
          est, se, ci[, 1], ci[, 2], df, as.numeric(dd), source = "survey",
          note = paste0(note, if (nzchar(note)) "; ", "CI: t with df = degf(design)",
                        if (!all(is.na(dd))) paste0("; ", DEFF_NOTE) else ""))
}

# FGT(alpha) variables for a fixed line z (poor: y < z).
add_fgt_vars <- function(des, y, z) {
  g <- ifelse(y < z, 1 - y / z, 0)
  update(des, fgt0 = as.numeric(y < z), fgt1 = g, fgt2 = g^2)
}

# The standard block for one design.
emit_design_block <- function(dataset, label, des, yname, z, ratio_num, ratio_den,
                              total_var, byvars) {
  emit_stat(dataset, label, des, svytotal(~one, update(des, one = 1)), "population",
            note = "svytotal of 1 (estimated population size)")
  add_ref(refs, dataset, label, "", "", "", "df", "", degf(des), df = degf(des),
          source = "survey", note = "degf(design) = #PSU - #strata")
  add_ref(refs, dataset, label, "", "", "", "n", "", nrow(des$variables),
          source = "survey", note = "rows")
  fy <- as.formula(paste0("~", yname))
  emit_stat(dataset, label, des, svymean(fy, des, deff = TRUE), "mean", yname)
  emit_stat(dataset, label, des, svytotal(fy, des, deff = TRUE), "total", yname)
  emit_stat(dataset, label, des, svytotal(as.formula(paste0("~", total_var)), des,
                                          deff = TRUE), "total", total_var)
  rn <- as.formula(paste0("~", ratio_num))
  rd <- as.formula(paste0("~", ratio_den))
  emit_stat(dataset, label, des, svyratio(rn, rd, des, deff = TRUE), "ratio_est",
            paste0(ratio_num, "/", ratio_den), note = "ratio of totals (svyratio)")

  line <- format(z, scientific = FALSE)
  fd <- add_fgt_vars(des, des$variables[[yname]], z)
  for (a in 0:2)
    emit_stat(dataset, label, fd, svymean(as.formula(paste0("~fgt", a)), fd, deff = TRUE),
              paste0("fgt", a), line = line,
              note = paste0("svymean of the FGT", a, " variable of ", yname, "; poor: y < line"))
  emit_stat(dataset, label, fd, svytotal(~fgt0, fd, deff = TRUE), "poor", line = line,
            note = paste0("svytotal of 1(", yname, " < line)"))

  for (b in byvars) {
    fb <- as.formula(paste0("~", b))
    keys <- function(obj) as.character(obj[[b]])
    o <- svyby(fy, fb, des, svymean, deff = TRUE)
    emit_stat(dataset, label, des, o, "mean", yname, by = b, groups = keys(o),
              note = "svyby domain mean (variance over the full design)")
    o <- svyby(fy, fb, des, svytotal, deff = TRUE)
    emit_stat(dataset, label, des, o, "total", yname, by = b, groups = keys(o),
              note = "svyby domain total")
    o <- svyby(rn, fb, des, svyratio, denominator = rd, deff = TRUE)
    emit_stat(dataset, label, des, o, "ratio_est", paste0(ratio_num, "/", ratio_den),
              by = b, groups = keys(o), note = "svyby domain ratio")
    for (a in 0:2) {
      o <- svyby(as.formula(paste0("~fgt", a)), fb, fd, svymean, deff = TRUE)
      emit_stat(dataset, label, fd, o, paste0("fgt", a), line = line, by = b,
                groups = keys(o), note = paste0("svyby domain mean of FGT", a, " of ", yname))
    }
    o <- svyby(~fgt0, fb, fd, svytotal, deff = TRUE)
    emit_stat(dataset, label, fd, o, "poor", line = line, by = b, groups = keys(o),
              note = "svyby domain total of the poor indicator")
  }
}

# ---- api designs -------------------------------------------------------------
apistrat$stype <- as.character(apistrat$stype)
apiclus1$stype <- as.character(apiclus1$stype)
apiclus2$stype <- as.character(apiclus2$stype)

api_designs <- list(
  list("apistrat", "ids=1;strata=stype;weights=pw;fpc=fpc",
       svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)),
  list("apistrat", "ids=1;strata=stype;weights=pw",
       svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)),
  list("apiclus1", "ids=dnum;weights=pw;fpc=fpc",
       svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)),
  list("apiclus1", "ids=dnum;weights=pw",
       svydesign(id = ~dnum, weights = ~pw, data = apiclus1)),
  list("apiclus2", "ids=dnum+snum;fpc=fpc1+fpc2",
       svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)),
  list("apiclus2", "ids=dnum;weights=pw",
       svydesign(id = ~dnum, weights = ~pw, data = apiclus2))
)
for (d in api_designs)
  emit_design_block(d[[1]], d[[2]], d[[3]], "api00", 700, "api00", "api99",
                    "enroll", "stype")

# ---- eusilc --------------------------------------------------------------------
eu <- eusilc
eu$db040 <- as.character(eu$db040)
eu$rb090 <- as.character(eu$rb090)
des_eu <- svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = eu)
emit_design_block("eusilc", "ids=db030;strata=db040;weights=rb050", des_eu,
                  "eqIncome", 10000, "hy050n", "eqIncome", "hy050n",
                  c("db040", "rb090"))

# ---- lonely PSU ------------------------------------------------------------------
lonely <- data.frame(
  stratum = c(1, 1, 1, 1, 2, 2, 2, 3, 3),
  psu     = c(1, 1, 2, 3, 4, 4, 5, 6, 6),
  weight  = c(10, 10, 12, 8, 20, 20, 15, 30, 30),
  y       = c(5, 7, 3, 9, 4, 6, 8, 2, 10),
  dom     = c("a", "b", "a", "b", "a", "b", "a", "a", "b"))
write_data(lonely, "small_lonely.csv")
for (opt in c("certainty", "adjust", "average", "remove")) {
  options(survey.lonely.psu = opt)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = lonely)
  label <- paste0("ids=psu;strata=stratum;weights=weight;lonely=", opt)
  note <- paste0("options(survey.lonely.psu = '", opt, "'); stratum 3 has one PSU")
  emit_stat("small_lonely", label, des, svymean(~y, des), "mean", "y", note = note)
  emit_stat("small_lonely", label, des, svytotal(~y, des), "total", "y", note = note)
  o <- svyby(~y, ~dom, des, svymean)
  emit_stat("small_lonely", label, des, o, "mean", "y", by = "dom",
            groups = as.character(o$dom), note = paste(note, "svyby domain mean", sep = "; "))
  add_ref(refs, "small_lonely", label, "", "", "", "df", "", degf(des), df = degf(des),
          source = "survey", note = "degf(design)")
}
options(survey.lonely.psu = "fail")

write_refs(refs, "ref_survey_se.csv")
