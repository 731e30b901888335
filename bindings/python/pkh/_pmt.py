# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.pmt: the ``pkh pmt`` command (the proxy-means test) as DataFrames."""

import math

import numpy as np

from . import _pkh
from . import _common as c

__all__ = ["pmt"]


def _whole(value, flag, lo):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        c.fail(f"{flag} takes a whole number >= {lo} (got \"{value}\")")
    return int(value)


def pmt(data, *, target, covariates=None, categorical=None, log=False, weight=None,
        model_by=None, folds=None, seed=None, quota=None, benchmark=None, income=None,
        size=None, filter=None, define=None, design=None, strata=None, psu=None, fpc=None,
        lonely_psu=None, level=None, scores=False, id=None, threads=0, read_options=None):
    """Fit and evaluate a proxy-means test, as ``pkh pmt`` does: weighted least squares of
    ``target`` (or its log) on household traits, with model-based and design-based standard
    errors, one model per ``model_by`` value, k-fold cross-validation and the targeting errors
    of the score at a quota. Formulas: docs/pmt.md.

    Args:
        data: a :class:`pkh.Table`, DataFrame, dict of arrays or CSV path (see
            :func:`pkh.indicators`).
        target: the welfare to predict. log: model ln(target) (rows with target <= 0 left
            out).
        covariates: numeric regressors (a list or "a,b,c"). categorical: columns expanded
            to dummies "col=level" (the first sorted level the reference).
        weight: sampling weight. model_by: a separate model per value of this column.
        folds: k-fold cross-validation (k >= 2; folds of PSUs with a design); seed: the fold
            assignment (default 1).
        quota, benchmark, income, size: the targeting of the score: cover the ``quota`` of
            persons with the lowest scores; who should be covered (``"line:povline"``,
            ``"share:0.4"``); the welfare for the benchmark (default: the target); persons per
            row.
        filter: fit on the rows where it is true (every row is still scored). define: as in
            :func:`pkh.indicators`.
        design (or strata=, psu=, fpc=, lonely_psu=), level: design-based SEs (Binder).
        scores: also return the per-row scores (as ``pkh pmt --out``): the ``id`` columns
            (default: ``row``, the 1-based data row), ``score``, ``cv_score`` (with folds),
            ``eligible`` (with a quota).
        threads: 0 for every core.

    Returns:
        a DataFrame in the command's schema ([model_by], indicator, term, estimate, se, t, p,
        ci_low, ci_high, se_model, df, n) with its JSON ``meta`` in ``df.attrs["meta"]``;
        with ``scores=True`` the pair ``(results, scores)``.
    """
    threads = c.check_threads(threads)
    cov, cat = c.names(covariates, "covariates"), c.names(categorical, "categorical")
    ids = c.names(id, "id")
    if cov is None and cat is None:
        raise TypeError("give the covariates: covariates= and/or categorical=")
    if (quota is None) != (benchmark is None):
        raise TypeError("quota= and benchmark= go together: the share to cover, and who should "
                        "be covered")
    if seed is not None and folds is None:
        raise TypeError("seed= assigns cross-validation folds: it needs folds=")
    k = 0 if folds is None else min(_whole(folds, "--folds", 2), 1000000000)
    s = 0 if folds is None else 1 if seed is None else _whole(seed, "--seed", 0)
    q, bench_col = math.nan, None
    if quota is not None:
        q = c.number(quota, "quota", "--quota")
        if not 0 < q < 1:
            c.fail("--quota takes a share of persons between 0 and 1, exclusive, e.g. 0.15 "
                   f"(got {c.text(quota)})")
        bench_col = _pkh.benchmark_parse(benchmark)[2]
    dsg = c.design_of(design, strata, psu, fpc, lonely_psu)
    cols = c.add([], target, weight, model_by, income, size, *(dsg.columns if dsg else ()),
                 *(cov or ()), *(cat or ()), *(ids or ()), bench_col)
    table, mask, _ = c.prepare(data, cols, define, filter, threads, read_options)
    lv = c.level_value(level, "--level takes a confidence level between 0 and 1, e.g. 0.95 "
                              "(got \"{}\")")
    lv = 0.95 if lv is None else lv
    res, sc, info = _pkh.pmt(
        table._t, target, log=bool(log), covariates=None if cov is None else tuple(cov),
        categorical=None if cat is None else tuple(cat), weight=weight,
        design=dsg._tuple() if c.has_columns(dsg) else None, model_by=model_by, folds=k,
        seed=s, quota=q, income=income, size=size,
        benchmark=benchmark if quota is not None else None, filter=mask, level=lv,
        scores=bool(scores), threads=threads)
    df = c.frame(res)
    df.attrs["meta"] = _meta(data, target, log, cov, cat, weight, model_by, folds, seed,
                             quota, benchmark, income, size, info, dsg, lv)
    if not scores:
        return df
    return df, _scores(table, ids, sc)


def _scores(table, ids, handle):
    import pandas as pd

    out = c.frame(handle)
    if ids:
        front = table.select(ids).to_pandas(copy=True, strings="object")
    else:
        front = pd.DataFrame({"row": np.arange(1, len(table) + 1, dtype=np.int64)})
    return pd.concat([front, out], axis=1)


def _meta(data, target, log, cov, cat, weight, model_by, folds, seed, quota, benchmark,
          income, size, info, dsg, level):
    d = info["design"]
    se = c.design_meta(dsg, d, level)
    se["model_based"] = ("sigma^2 (X'WX)^-1 with sigma^2 = sum w e^2 / (n - p); column "
                         "se_model")
    meta = {"command": "pmt", "file": c.file_name(data), "rows": info["rows"],
            "rows_used": info["used"], "rows_scored": info["scored"],
            "excluded": {"filtered_out": info["filtered_out"],
                         "missing_values": info["missing"],
                         "nonpositive_target": info["nonpositive"],
                         "missing_model_by": info["missing_key"]},
            "model": {"target": target, "log": bool(log), "covariates": list(cov or ()),
                      "categorical": list(cat or ()), "weight": weight, "model_by": model_by,
                      "models": info["models"], "terms": info["terms"],
                      "reference_level": "the first level of each categorical in sorted "
                                         "order (numbers numerically, text by bytes) among "
                                         "the model's rows"},
            "standard_errors": se}
    if folds is not None:
        meta["cross_validation"] = {"folds": c.text(folds),
                                    "seed": c.text(seed) if seed is not None else "1",
                                    "units": "PSUs (all rows of a PSU in one fold)"
                                    if d is not None else "rows"}
    if quota is not None:
        meta["targeting"] = {"quota": c.text(quota), "benchmark": benchmark,
                             "income": income if income is not None else target,
                             "size": size, "cutoff": info["cutoff"],
                             "definition": "eligible: score < the quota's quantile of the "
                                           "scores of the fit's rows (persons); see pkh "
                                           "targeting"}
    meta["version"] = _pkh.version
    return meta
