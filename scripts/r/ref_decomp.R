# ref_decomp.R -- set 8: linearised standard errors of the decompositions
# (fgt_decomp: each group's population share, contribution and relative
# contribution to FGT(alpha); ge_decomp: GE(alpha) within and between groups,
# alpha = -1, 0, 0.5, 1, 2).
#
# Fixed line and GE: every part is a smooth function of design-weighted totals,
# so survey::svytotal gives the totals and their covariance over the design, and
# survey::svycontrast (delta method, symbolic derivatives of the quoted
# expressions) the part's SE: an implementation independent of pkh's influence
# values.  Relative line 0.6 x median (the national one, and each group's own
# for --line-by-group): the part's linearised variable written in R from
# convey's formulas (common.R's fgt_lin and arpt_lin), its variance by
# svyrecvar as convey does.
#
# Design: eusilc, ids=db030, strata=db040, weights=rb050; groups rb090 (2) and
# db040 (9).  Writes tests/data/r/ref_decomp.csv: indicator is the row pkh
# prints (pop_share, contrib_fgt0, mld_within, ...), param the indicator asked
# for (fgt_decomp:0, ge_decomp:1, ...).

source(file.path("scripts", "r", "common.R"))

data(eusilc, package = "laeken")
options(survey.lonely.psu = "fail")

refs <- new_refs()
LEVEL <- 0.95
FIXED <- 10000
dataset <- "eusilc"
label <- "ids=db030;strata=db040;weights=rb050"
des <- survey::svydesign(ids = ~db030, strata = ~db040, weights = ~rb050, data = eusilc)
tq <- qt((1 + LEVEL) / 2, survey::degf(des))
y <- eusilc$eqIncome
w <- eusilc$rb050

emit <- function(line, by, group, part, asked, est, se, source, note) {
  add_ref(refs, dataset, label, line, by, group, part, asked, est, se,
          est - tq * se, est + tq * se, survey::degf(des), NA, source, note)
}

# Delta method through svycontrast on the totals of the columns of `m` (a
# matrix with one row per sample row); exprs: named list of quoted expressions
# in those column names.  Returns list(est, se), each named as exprs.
delta <- function(m, exprs) {
  d <- survey::svydesign(ids = ~db030, strata = ~db040, weights = ~rb050,
                         data = cbind(eusilc[, c("db030", "db040", "rb050")], m))
  tot <- survey::svytotal(as.formula(paste("~", paste(colnames(m), collapse = "+"))), d)
  r <- survey::svycontrast(tot, exprs)
  list(est = coef(r), se = SE(r))
}

for (by in c("rb090", "db040")) {
  g <- as.character(eusilc[[by]])
  keys <- sort(unique(g))
  K <- length(keys)
  I <- sapply(keys, function(k) as.numeric(g == k))
  colnames(I) <- paste0("I", seq_len(K))

  # ---- fgt_decomp, fixed line: W_g / W, T_g / W, T_g / T ----
  for (a in c(0, 2)) {
    p <- ifelse(y < FIXED, ((FIXED - y) / FIXED)^a, 0)
    TP <- I * p
    colnames(TP) <- paste0("T", seq_len(K))
    m <- cbind(one = 1, I, TP)
    sumT <- paste(colnames(TP), collapse = "+")
    ex <- list()
    for (j in seq_len(K)) {
      ex[[paste0("s", j)]] <- parse(text = sprintf("I%d/one", j))[[1]]
      ex[[paste0("c", j)]] <- parse(text = sprintf("T%d/one", j))[[1]]
      ex[[paste0("r", j)]] <- parse(text = sprintf("T%d/(%s)", j, sumT))[[1]]
    }
    r <- delta(m, ex)
    asked <- paste0("fgt_decomp:", a)
    for (j in seq_len(K)) {
      note <- paste0("fixed line ", FIXED, "; survey::svytotal of the group and poverty ",
                     "totals, survey::svycontrast (delta method)")
      emit(FIXED, by, keys[j], "pop_share", asked, r$est[[paste0("s", j)]],
           r$se[[paste0("s", j)]], "survey", note)
      emit(FIXED, by, keys[j], paste0("contrib_fgt", a), asked, r$est[[paste0("c", j)]],
           r$se[[paste0("c", j)]], "survey", note)
      emit(FIXED, by, keys[j], paste0("contrib_rel_fgt", a), asked, r$est[[paste0("r", j)]],
           r$se[[paste0("r", j)]], "survey", note)
    }
  }

  # ---- ge_decomp: between and within as functions of group and GE totals ----
  for (a in c(-1, 0, 0.5, 1, 2)) {
    k <- if (a <= 0) y > 0 else y >= 0
    IK <- I * k
    colnames(IK) <- paste0("W", seq_len(K))
    YK <- I * k * y
    colnames(YK) <- paste0("Y", seq_len(K))
    extra <- if (a == 0) ifelse(k, log(pmax(y, 1e-300)), 0)
             else if (a == 1) ifelse(k & y > 0, y * log(pmax(y, 1e-300)), 0)
             else ifelse(k, pmax(y, 1e-300)^a, 0)
    m <- cbind(IK, YK, E = extra)
    W <- paste0("(", paste(colnames(IK), collapse = "+"), ")")
    Y <- paste0("(", paste(colnames(YK), collapse = "+"), ")")
    mu <- sprintf("(%s/%s)", Y, W)
    terms <- sapply(seq_len(K), function(j) {
      mj <- sprintf("(Y%d/W%d)", j, j)
      if (a == 0) sprintf("W%d/%s*log(%s)", j, W, mj)
      else if (a == 1) sprintf("Y%d/%s*log(%s/%s)", j, Y, mj, mu)
      else sprintf("W%d/%s*(%s/%s)^(%s)", j, W, mj, mu, a)
    })
    den <- sprintf("((%s)*(%s))", a, a - 1)
    between <- if (a == 0) sprintf("log(%s)-(%s)", mu, paste(terms, collapse = "+"))
               else if (a == 1) paste(terms, collapse = "+")
               else sprintf("((%s)-1)/%s", paste(terms, collapse = "+"), den)
    total <- if (a == 0) sprintf("log(%s)-E/%s", mu, W)
             else if (a == 1) sprintf("E/%s-log(%s)", Y, mu)
             else sprintf("(E/%s/%s^(%s)-1)/%s", W, mu, a, den)
    ex <- list(between = parse(text = between)[[1]],
               within = parse(text = sprintf("(%s)-(%s)", total, between))[[1]])
    r <- delta(m, ex)
    name <- switch(as.character(a), "0" = "mld", "1" = "theil", "2" = "ge2", paste0("ge:", a))
    asked <- paste0("ge_decomp:", a)
    note <- paste0("GE(", a, ") over ", if (a <= 0) "y > 0" else "y >= 0",
                   "; between and total GE as functions of group and GE totals; ",
                   "survey::svycontrast (delta method); within = total - between")
    emit("", by, "", paste0(name, "_between"), asked, r$est[["between"]], r$se[["between"]],
         "survey", note)
    emit("", by, "", paste0(name, "_within"), asked, r$est[["within"]], r$se[["within"]],
         "survey", note)
  }

  # ---- fgt_decomp at a relative line 0.6 x median (convey formulas): the national line, and
  # each group's own (--line-by-group, "rel:0.6:median:within") ----
  all <- rep(TRUE, length(y))
  nat <- arpt_lin(y, w, all)
  for (own in c(FALSE, TRUE)) for (a in c(0, 1)) {
    W <- sum(w)
    parts <- lapply(seq_len(K), function(j) {
      dom <- g == keys[j]
      line <- if (own) arpt_lin(y, w, dom) else nat
      f <- fgt_lin(y, w, dom, line, a)   # the group's FGT, lin with f(line) x lin(arpt)
      list(s = sum(w[dom]) / W, F = f$est, lin = f$lin, dom = dom)
    })
    P <- sum(sapply(parts, function(q) q$s * q$F))
    # lin of the population FGT as the sum of the contributions'
    contrib_lin <- lapply(parts, function(q) {
      share_lin <- (q$dom - q$s) / W
      q$s * q$lin + q$F * share_lin
    })
    P_lin <- Reduce(`+`, contrib_lin)
    asked <- paste0("fgt_decomp:", a)
    for (j in seq_len(K)) {
      q <- parts[[j]]
      share_lin <- (q$dom - q$s) / W
      rel <- q$s * q$F / P
      rel_lin <- (contrib_lin[[j]] - rel * P_lin) / P
      note <- paste(if (own) "each group's own line 0.6 x its median" else "national line 0.6 x median",
                    "(convey arpt lin); lin of FGT_g from",
                    "fgt_lin; contrib = s_g FGT_g, contrib_rel = contrib / sum of contribs;",
                    "variance svyrecvar(lin / prob) as convey;", KERNEL_NOTE)
      for (pt in list(list("pop_share", q$s, share_lin),
                      list(paste0("contrib_fgt", a), q$s * q$F, contrib_lin[[j]]),
                      list(paste0("contrib_rel_fgt", a), rel, rel_lin))) {
        emit(if (own) "rel:0.6:median:within" else "rel:0.6:median", by, keys[j], pt[[1]],
             asked, pt[[2]],
             sqrt(lin_var(des, pt[[3]])), "convey_formula", note)
      }
    }
  }
}

write_refs(refs, "ref_decomp.csv")
