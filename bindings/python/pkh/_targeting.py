# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.targeting: the ``pkh targeting`` command as a DataFrame."""

import math

from . import _pkh
from . import _common as c

__all__ = ["targeting"]

_CONVENTIONS = {
    "unit": "persons: a row counts weight x size",
    "coverage_poor": "persons in the benchmark group who receive / persons in the benchmark "
                     "group",
    "exclusion_error": "1 - coverage_poor",
    "leakage": "inclusion error over recipients: recipients outside the benchmark group / "
               "recipients",
    "inclusion_error_nonpoor": "inclusion error over the non-poor: persons outside the "
                               "benchmark group who receive / persons outside the benchmark "
                               "group",
    "targeting_differential": "coverage_poor - inclusion_error_nonpoor",
    "cgh": "Coady-Grosh-Hoddinott: share of benefits to persons with welfare < q40, / 0.4",
    "groups": "Q1: welfare < q20, Qk: q(k-1) <= welfare < qk, Q5: welfare >= q80 (deciles "
              "alike); whole-population quantiles of persons",
    "benefit": "--benefit amount x weight of recipients; without it, recipient persons",
    "counts": "_persons: sum of weight x size; _families: sum of weights (households)",
    "domains": "--by: domain estimates with the whole population's cut-offs; --filter: the "
               "cut-offs of the rows kept (every PSU stays in the variance)",
}


def _g(x):
    """C's %.17g."""
    return f"{x:.17g}"


def benchmark_text(kind, value, column):
    if kind == 1:
        return f"welfare < {_g(value)} (a fixed line)"
    if kind == 2:
        return f"welfare < the row's line in column {column}"
    return f"the poorest {_g(value)} of persons: welfare < its {_g(value)} quantile"


def targeting(data, *, income, benchmark, recipient=None, score=None, quota=None, cutoff=None,
              weight=None, size=None, benefit=None, by=None, groups=None, quantile_rule=None,
              filter=None, define=None, design=None, strata=None, psu=None, fpc=None,
              lonely_psu=None, level=None, curve=False, threads=0, read_options=None):
    """Targeting errors of a cash transfer, as ``pkh targeting`` computes them: who should
    receive (the benchmark group) against who does (``recipient``) or would (``score`` below a
    ``cutoff``, or the ``quota`` of persons with the lowest scores). Person-weighted.

    Indicators, in this order: coverage_poor, exclusion_error, leakage,
    inclusion_error_nonpoor, targeting_differential, coverage, cgh, coverage_q1..q5 (or
    _d1.._d10 with ``groups="decile"``), benefit_share_q1.., undercoverage_persons,
    undercoverage_families, leakage_persons, leakage_families, and auc with a score.
    Definitions: docs/targeting.md.

    Args:
        data: a :class:`pkh.Table`, DataFrame, dict of arrays or CSV path (see
            :func:`pkh.indicators`).
        income: the welfare column.
        benchmark: ``"line:425250"``, ``"line:povline"`` (a column) or ``"share:0.4"``.
        recipient: a column, nonzero = receives. Or ``score`` with ``quota`` (a share of
            persons in (0, 1)) or ``cutoff`` (eligible: score < cutoff).
        weight, size, benefit: sampling weight, persons per row, benefit amount per row.
        by: domains. groups: ``"quintile"`` (default) or ``"decile"``.
        quantile_rule: ``"gt"`` (default), ``"ge"``, ``"ge_avg"``.
        filter, define: as in :func:`pkh.indicators`.
        design (or strata=, psu=, fpc=, lonely_psu=): linearised standard errors and t
            intervals; without one, se and the intervals are missing. level: default 0.95.
        curve: also return the score's ROC and quota curve (a DataFrame; needs ``score``).
        threads: 0 for every core.

    Returns:
        a DataFrame (the by columns, indicator, estimate, se, ci_low, ci_high, n,
        population) with the command's JSON ``meta`` in ``df.attrs["meta"]``; with
        ``curve=True`` the pair ``(results, curve)``.
    """
    threads = c.check_threads(threads)
    if (recipient is None) == (score is None):
        raise TypeError("give either recipient= or score= with quota= or cutoff=")
    if score is not None and (quota is None) == (cutoff is None):
        raise TypeError("score= needs one of quota= and cutoff=")
    if recipient is not None and (quota is not None or cutoff is not None):
        raise TypeError("quota= and cutoff= go with score=, not recipient=")
    if curve and score is None:
        raise TypeError("curve= describes a score: it needs score=")
    kind, value, bench_col = _pkh.benchmark_parse(benchmark)
    q = math.nan if quota is None else c.number(quota, "quota", "--quota")
    if quota is not None and not 0 < q < 1:
        c.fail("--quota takes a share of persons between 0 and 1, exclusive, e.g. 0.15 (got "
               f"{c.text(quota)})")
    cut = math.nan if cutoff is None else c.number(cutoff, "cutoff", "--cutoff")
    if groups is not None and groups not in ("quintile", "decile"):
        c.fail(f"--groups takes quintile or decile (got \"{groups}\")")
    rule = "gt" if quantile_rule is None else quantile_rule
    if rule not in c.QUANTILE_RULES:
        c.fail(f"--quantile-rule takes gt, ge or ge_avg (got \"{quantile_rule}\")")
    by_cols = c.names(by, "by")
    dsg = c.design_of(design, strata, psu, fpc, lonely_psu)
    cols = c.add([], income, weight, size, recipient, score, benefit,
                 *(dsg.columns if dsg else ()), bench_col, *(by_cols or ()))
    table, mask, _ = c.prepare(data, cols, define, filter, threads, read_options)
    lv = c.level_value(level, "--level takes a confidence level between 0 and 1, e.g. 0.95 "
                              "(got \"{}\")")
    lv = 0.95 if lv is None else lv
    res, cur, info = _pkh.targeting(
        table._t, income, benchmark, weight=weight, size=size, recipient=recipient,
        score=score, quota=q, cutoff=cut, benefit=benefit,
        by=None if by_cols is None else tuple(by_cols),
        groups=10 if groups == "decile" else 5, filter=mask,
        quantile_rule=c.QUANTILE_RULES[rule],
        design=dsg._tuple() if c.has_columns(dsg) else None, level=lv, curve=bool(curve),
        threads=threads)
    df = c.frame(res)
    n_bounds = 9 if groups == "decile" else 4
    opts = {"income": income, "weight": weight, "size": size, "benchmark": benchmark,
            "recipient": recipient, "score": score, "quota": c.text(quota),
            "cutoff": c.text(cutoff), "benefit": benefit, "by": c.joined(by_cols),
            "filter": filter, "groups": groups}
    if recipient is not None:
        receipt = {"recipient": recipient, "definition": "receives when the column is nonzero"}
    else:
        receipt = {"score": score, "quota": q if quota is not None else None,
                   "cutoff": info["cutoff"],
                   "definition": "eligible: score < cutoff (a low score means predicted poor; "
                                 "ties at the cut-off are not eligible)"}
    meta = {"command": "targeting", "file": c.file_name(data), "options": opts,
            "rows": info["rows"], "rows_used": info["used"],
            "excluded": {"filtered_out": info["filtered_out"],
                         "missing_income": info["missing_income"],
                         "missing_key": info["missing_key"]},
            "benchmark": {"spec": benchmark, "definition": benchmark_text(kind, value, bench_col),
                          "line": c.real_or_none(info["line"])},
            "receipt": receipt, "group_bounds": info["bounds"][:n_bounds],
            "receiving_share": info["receiving"], "benchmark_share": info["benchmark_share"],
            "groups": "decile" if groups == "decile" else "quintile", "quantile_rule": rule,
            "conventions": dict(_CONVENTIONS),
            "standard_errors": c.design_meta(dsg, info["design"], lv),
            "version": _pkh.version}
    df.attrs["meta"] = meta
    if curve:
        return df, (c.frame(cur) if cur is not None else None)
    return df
