# make_refs.R -- regenerate every R reference file under tests/data/r/.
# Run from the repository root:   Rscript scripts/r/make_refs.R
# Each set runs in its own environment; every script is deterministic, so a
# rerun with the same R and package versions rewrites identical files.

if (!file.exists(file.path("scripts", "r", "common.R")))
  stop("run from the repository root: Rscript scripts/r/make_refs.R")

scripts <- c("ref_indicators_eusilc.R",   # set 1
             "ref_small.R",               # set 2
             "ref_survey_se.R",           # set 3
             "ref_linearised.R",          # set 4
             "ref_regression.R",          # set 5
             "ref_variance.R",            # set 6
             "ref_targeting.R",           # set 7
             "ref_decomp.R")              # set 8

for (s in scripts) {
  message("== ", s)
  sys.source(file.path("scripts", "r", s), envir = new.env(parent = globalenv()),
             chdir = FALSE)
}

message("\nR ", getRversion(), "; survey ", packageVersion("survey"),
        "; laeken ", packageVersion("laeken"))
