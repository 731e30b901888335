# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.indicators: the ``pkh indicators`` command as a DataFrame."""

import re

from . import _pkh
from . import _common as c


__all__ = ["indicators"]

_SE_METHODS = {"none": 0, "linearized": 1, "linearised": 1, "bootstrap": 2, "replicate": 3}
_SE_NAMES = ("none", "linearized", "bootstrap", "replicate")
_SRS_NOTE = ("no --strata or --psu: standard errors assume simple random sampling of the rows; "
             "a survey such as SUSENAS is stratified and clustered, so give its design")


def _se_method(se, repweights):
    """(method, replicates) from se= (the --se text), as the command checks it."""
    if se is None:
        return (3 if repweights is not None else 1), 0
    if not isinstance(se, str):
        raise TypeError(f"se= takes a str such as 'linearized' (got {se!r})")
    if se.startswith("bootstrap"):
        rest = se[len("bootstrap"):]
        reps = 1000 if rest == "" else int(rest[1:]) if re.fullmatch(r":[0-9]+", rest) else -1
        if reps < 2:
            c.fail("--se bootstrap:R takes a number of replicates R >= 2, e.g. bootstrap:1000 "
                   f"(got \"{se}\")")
        return 2, reps
    if se not in _SE_METHODS:
        c.fail(f"--se takes linearized, bootstrap:R, replicate or none (got \"{se}\")")
    return _SE_METHODS[se], 0


def _se_options(se, seed, level, ci, quantile_se, reptype, repweights, deff):
    method, reps = _se_method(se, repweights)
    if (method == 3) != (repweights is not None):
        c.fail("--repweights go with --se replicate (the default when they are given)"
               if repweights is not None else "--se replicate needs --repweights PREFIX")
    out = {"se": method, "replicates": reps, "seed": 1, "level": 0.0, "ci": 0,
           "quantile_se": 0, "deff": bool(deff), "reptype": None}
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 64:
            c.fail(f"--seed takes a whole number >= 0 (got \"{seed}\")")
        out["seed"] = seed
    if level is not None:
        out["level"] = c.level_value(level, "--level takes a fraction in (0, 1), e.g. 0.95 or "
                                            "0.9 (got \"{}\")")
    if ci is not None and ci not in ("normal", "percentile"):
        c.fail(f"--ci takes normal or percentile (got \"{ci}\")")
    out["ci"] = 1 if ci == "percentile" else 0
    if quantile_se is not None and quantile_se not in ("woodruff", "kernel"):
        c.fail(f"--quantile-se takes woodruff or kernel (got \"{quantile_se}\")")
    out["quantile_se"] = 1 if quantile_se == "kernel" else 0
    if reptype is not None:
        _pkh.check("reptype", reptype)
        out["reptype"] = reptype
    return out


def _repweight_columns(prefix, table):
    """Columns PREFIX followed by digits, in numeric order (as the command finds them)."""
    cols = [n for n in table.columns
            if n.startswith(prefix) and len(n) > len(prefix) and n[len(prefix):].isdigit()
            and n[len(prefix):].isascii()]
    cols.sort(key=lambda n: (len(n.encode()), n.encode()))
    if len(cols) < 2:
        c.fail(f"--repweights {prefix}: found {len(cols)} columns named {prefix}1, {prefix}2, "
               "...; replicate weights need at least 2")
    return tuple(cols)


def _contrasts(contrast):
    items = [] if contrast is None else [contrast] if isinstance(contrast, str) \
        else list(contrast)
    out = []
    for item in items:
        col, eq, spec = item.partition("=") if isinstance(item, str) else ("", "", "")
        if not eq or not col or not spec:
            c.fail(f"--contrast takes COL=A-B, e.g. urban=1-0 (got \"{item}\")")
        out.append((col, spec))
    return tuple(out)


def _se_meta(opts, info, design, srs_design):
    method = _SE_NAMES[opts["se"]]
    m = {"method": method}
    if opts["se"] == 0:
        m["note"] = "point estimates only (--se none)"
        return m
    d = info["design"]
    m["design"] = {"strata": design.strata if design else None,
                   "psu": design.psu if design else None,
                   "fpc": design.fpc if design else None,
                   "lonely_psu": d["lonely_psu"] if d else "fail",
                   "n_strata": info["strata"], "n_psu": info["psus"], "df": info["df"]}
    m["level"] = info["level"]
    m["intervals"] = ("estimate -+ t(df) se; quantiles: see quantile_se" if opts["se"] == 1
                      else "percentiles of the replicate estimates" if opts["ci"] == 1
                      else "estimate -+ z se")
    m["quantile_se"] = "kernel" if opts["quantile_se"] == 1 else "woodruff"
    if opts["se"] == 2:
        m["replicates"] = opts["replicates"]
        m["seed"] = opts["seed"]
        m["bootstrap"] = "Rao-Wu rescaling, n_h - 1 PSUs drawn per stratum"
    if opts["se"] == 3:
        m["replicates"] = info["replicates"]
        m["reptype"] = (opts["reptype"] or "bootstrap").split(":")[0]
    if info["failed_replicates"] > 0:
        m["failed_replicates"] = info["failed_replicates"]
    if info["srs"]:
        m["note"] = _SRS_NOTE
    return m


def indicators(data, *, income, weight=None, size=None, line=None, by=None, indicators=None,
               filter=None, define=None, lines=None, line_keys=None, no_total=False,
               line_by_group=False, quantile_rule=None, design=None, strata=None, psu=None,
               fpc=None, lonely_psu=None, se=None, seed=None, level=None, ci=None,
               quantile_se=None, repweights=None, reptype=None, deff=False, contrast=None,
               threads=0, read_options=None):
    """Poverty and inequality indicators for the whole population and by group, as
    ``pkh indicators`` computes them (the same library call, the same numbers).

    Person-weighted: a row counts for ``weight x size`` persons. Poor means
    ``income < line``. Definitions (and their names in DASP, laeken and convey):
    docs/indicators.md; standard errors: docs/variance.md.

    Args:
        data: a :class:`pkh.Table`, a pandas DataFrame, a dict of numpy arrays (int64 and
            float64 columns are read in place, not copied; a NaN income, line or group key is
            a missing value, a NaN weight or size an invalid one), or a CSV path (only the
            columns needed are read; ``read_options`` go to :func:`pkh.read_csv`).
        income: the welfare column (``--income``).
        weight, size: sampling weight and persons per row (default 1).
        line: the poverty line: a number, a column of per-row lines (``"povline"``), or
            ``"rel:0.6:median"`` / ``"rel:0.5:mean"``.
        lines, line_keys: look the line up in a table of lines (a path, Table or DataFrame)
            by key columns, e.g. ``lines=df_lines, line_keys=["province", "urban"]``.
        by: group column(s): ``"province"``, ``["province", "urban"]`` or ``"province,urban"``.
        indicators: names, e.g. ``["fgt0", "fgt1", "gini", "lorenz:0.5"]`` (or a
            comma-separated str); default fgt0, fgt1, fgt2, poor, gini, mean, median,
            population (the poverty ones only with a line).
        filter: a condition (``"urban == 1 && hhsize >= 3"``): a domain under a design.
        define: derived columns, ``{"pc": "hhexp / hhsize"}`` or ``["pc=hhexp/hhsize"]``.
        no_total: leave out the whole-population rows. line_by_group: relative lines from
            each group's own distribution.
        quantile_rule: ``"gt"`` (default: laeken, Eurostat), ``"ge"`` or ``"ge_avg"``.
        design: a :class:`pkh.Design`, or give ``strata=``, ``psu=``, ``fpc=``,
            ``lonely_psu=`` directly.
        se: ``"linearized"`` (default; without a design, simple random sampling of rows),
            ``"bootstrap:R"`` (Rao-Wu, R replicates; ``"bootstrap"`` is 1000),
            ``"replicate"`` (with ``repweights``) or ``"none"``.
        seed: bootstrap seed (default 1). level: confidence level (default 0.95).
        ci: ``"normal"`` or ``"percentile"`` (bootstrap). quantile_se: ``"woodruff"`` or
            ``"kernel"``. repweights: the prefix of replicate weight columns (PREFIX1,
            PREFIX2, ...); reptype: ``"bootstrap"``, ``"jk1"``, ``"jkn"``, ``"brr"``,
            ``"fay:RHO"``. deff: add the design effect. contrast: ``"urban=1-0"`` (or a list):
            rows for group differences.
        threads: 0 for every core; the numbers never depend on it.

    Returns:
        a pandas DataFrame in the command's tidy schema: the ``by`` columns (None / NA on the
        whole population's rows, which come first), [``contrast``], ``indicator``,
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, [``deff``], ``n`` (rows used),
        ``population`` (persons). ``df.attrs["meta"]`` holds the command's JSON ``meta``
        (options, rows used and left out, the line, the design and its degrees of freedom).

    Raises:
        pkh.Error: with the message ``pkh`` prints (after ``"pkh: "``) for bad data or
            option values. The GIL is released while the library works.
    """
    threads = c.check_threads(threads)
    if (lines is None) != (line_keys is None):
        raise TypeError("lines= and line_keys= go together")
    if lines is not None and line is not None:
        raise TypeError("give the line either with line= or with lines=")
    rule = "gt" if quantile_rule is None else quantile_rule
    if rule not in c.QUANTILE_RULES:
        c.fail(f"--quantile-rule takes gt, ge or ge_avg (got \"{quantile_rule}\")")
    line_text = c.text(line)
    if line_text is not None:
        _pkh.check("line", line_text)
    inds = c.names(indicators, "indicators")
    for name in inds or ():
        _pkh.check("indicator", name)
    by_cols, keys = c.names(by, "by"), c.names(line_keys, "line_keys")
    dsg = c.design_of(design, strata, psu, fpc, lonely_psu)
    cols = c.add([], income, weight, size, *(dsg.columns if dsg else ()), *(by_cols or ()),
                 *(keys or ()))
    if line_text is not None and _pkh.line_kind(line_text) == 2:
        c.add(cols, line_text)
    table, mask, _ = c.prepare(data, cols, define, filter, threads, read_options,
                               all_columns=repweights is not None)
    lines_table = c.load_other(lines, threads, read_options, "lines")
    opts = _se_options(se, seed, level, ci, quantile_se, reptype, repweights, deff)
    with_design = opts["se"] != 0 and c.has_columns(dsg)
    reps = None
    if opts["se"] != 0 and repweights is not None:
        reps = _repweight_columns(repweights, table)
    contrasts = _contrasts(contrast) if opts["se"] != 0 else ()
    handle, info = _pkh.indicators(
        table._t, income, weight=weight, size=size, line=line_text,
        lines=None if lines_table is None else lines_table._t,
        line_keys=None if keys is None else tuple(keys),
        by=None if by_cols is None else tuple(by_cols), no_total=bool(no_total),
        line_by_group=bool(line_by_group), indicators=None if inds is None else tuple(inds),
        filter=mask, quantile_rule=c.QUANTILE_RULES[rule], threads=threads,
        design=dsg._tuple() if with_design else None, repweights=reps,
        contrasts=contrasts or None, **opts)
    df = c.frame(handle)
    opt_meta = {"income": income, "weight": weight, "size": size, "line": line_text,
                "by": c.joined(by_cols), "lines": c.file_name(lines) if lines is not None
                else None, "line_keys": c.joined(keys), "indicators": c.joined(inds),
                "filter": filter, "define": list(c.defines(define)),
                "no_total": bool(no_total), "line_by_group": bool(line_by_group)}
    meta = {"command": "indicators", "file": c.file_name(data), "options": opt_meta,
            "rows": info["rows"], "rows_used": info["used"],
            "excluded": {"filtered_out": info["filtered_out"],
                         "missing_income": info["missing_income"],
                         "missing_key": info["missing_key"],
                         "nonpositive_income": info["nonpositive"],
                         "negative_income": info["negative"]},
            "quantile_rule": rule, "unit": "persons (weight x size)", "version": _pkh.version}
    if line is not None or lines is not None:
        meta["line"] = c.real_or_none(info["line"])
    meta["standard_errors"] = _se_meta(opts, info, dsg if with_design else None, None)
    df.attrs["meta"] = meta
    return df
