# SPDX-License-Identifier: GPL-3.0-or-later
"""pkh.Program and pkh.simulate: the ``pkh simulate`` command as DataFrames."""

import math
import os
import warnings
from collections.abc import Mapping

from . import _pkh
from . import _common as c

__all__ = ["Program", "simulate"]

_RULES = ("programme", "all", "recipient", "cutoff", "quota", "families", "budget")


class Program:
    """Cash-transfer programme rules: a preset (``"pkh-2019"``, ``"pkh-2020"``,
    ``"pkh-2021"``, ``"snt-tr"``) or a JSON rules file (docs/programs.md), as
    ``pkh simulate --program`` takes them.

    >>> p = pkh.Program("pkh-2019")
    >>> p.components[0]["name"], p.currency
    >>> print(p.text)                      # the rules as JSON, sources in "notes"
    >>> pkh.Program.from_json(my_rules)    # rules given as a JSON text

    A Program is read-only: change amounts and the cap for one simulation with
    ``pkh.simulate(..., amount={"smp": 2000000}, cap=4)``.
    """

    __slots__ = ("_kind", "_spec", "_source", "_handle")

    def __init__(self, rules):
        if isinstance(rules, Program):
            self._kind, self._spec, self._source = rules._kind, rules._spec, rules._source
        elif isinstance(rules, (str, os.PathLike)):
            self._kind, self._spec, self._source = 0, os.fspath(rules), None
        else:
            raise TypeError("Program() takes a preset's name or a rules file's path (got "
                            f"{type(rules).__name__}); use Program.from_json for a JSON text")
        self._handle = self._load()

    @classmethod
    def from_json(cls, text, source=None):
        """Rules from a JSON text (messages name ``source``, default ``"<memory>"``)."""
        if not isinstance(text, str):
            raise TypeError(f"from_json takes the JSON text as str (got {type(text).__name__})")
        self = object.__new__(cls)
        self._kind, self._spec, self._source = 1, text, source
        self._handle = self._load()
        return self

    @staticmethod
    def presets():
        """The presets' names."""
        return list(_pkh.program_presets())

    def _load(self):
        """A new handle of these rules, for one call to change and use."""
        return _pkh.program_load(self._kind, self._spec, self._source)

    name = property(lambda self: self._handle.name, doc="the programme's name")
    title = property(lambda self: self._handle.title, doc="its title")
    currency = property(lambda self: self._handle.currency, doc="its currency, e.g. IDR")
    text = property(lambda self: self._handle.text, doc="the rules as JSON")
    components = property(lambda self: self._handle.components,
                          doc="components: name, label, annual amount, count column, member "
                              "condition")
    flats = property(lambda self: self._handle.flats, doc="flat benefits per family")
    stages = property(lambda self: self._handle.stages, doc="payment stages")
    notes = property(lambda self: self._handle.notes, doc="sources and caveats")
    flags = property(lambda self: self._handle.flags, doc="yes/no household inputs (akses)")
    cap = property(lambda self: self._handle.cap, doc="members counted per family (0: no cap)")

    def __repr__(self):
        return f"pkh.Program({self.name!r}: {self.title})"


def _program_json(h):
    return {"name": h.name, "title": h.title, "currency": h.currency,
            "components": [{"name": x["name"], "label": x["label"], "annual": x["annual"],
                            "count": x["count"], "member": x["member"]} for x in h.components],
            "flat": [{"name": x["name"], "annual": x["annual"], "condition": x["condition"]}
                     for x in h.flats],
            "cap": h.cap, "require_component": h.requires_component,
            "stages": [dict(x) for x in h.stages], "notes": h.notes}


def _pairs(value, what, example):
    """{name: value} or ["NAME=VALUE", ...] -> [(name, value text)]."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        name, eq, v = item.partition("=") if isinstance(item, str) else ("", "", "")
        if not eq or not name:
            c.fail(f"{what} takes NAME=AMOUNT, e.g. {example} (got \"{item}\")")
        out.append((name, v))
    return out


def _load(program, amounts, cap, flag):
    """A fresh handle of `program` with the amounts and cap changed, as the command does."""
    prog = program if isinstance(program, Program) else Program(program)
    h = prog._load()
    for name, value in _pairs(amounts, flag, "smp=2000000"):
        h.set_amount(name, c.number(value, "amount", flag))
    if cap is not None:
        x = c.number(cap, "cap", "--cap")
        if x != math.floor(x) or x < 0:
            c.fail(f"--cap takes a whole number of members, 0 for no cap (got \"{cap}\")")
        h.set_cap(int(x))
    return h


def _selection(all_, recipient, score, cutoff, quota, families, budget):
    given = [(k, v) for k, v in (("cutoff", cutoff), ("quota", quota), ("families", families),
                                 ("budget", budget)) if v is not None]
    if len(given) > 1:
        raise TypeError("give one of cutoff=, quota=, families=, budget=")
    if given and score is None:
        raise TypeError("cutoff=, quota=, families= and budget= rank the families by a score: "
                        "give it with score=")
    if score is not None and not given:
        raise TypeError("score= needs cutoff=, quota=, families= or budget=")
    if (score is not None) + (recipient is not None) + bool(all_) > 1:
        raise TypeError("choose the families one way: recipient=, score= or all=")
    if all_:
        return 1, None, 0.0
    if recipient is not None:
        return 2, recipient, 0.0
    if not given:
        return 0, None, 0.0
    name, v = given[0]
    x = c.number(v, name, f"--{name}")
    if name == "quota" and not 0 < x <= 1:
        c.fail("--quota is a share of all families, above 0 and at most 1, e.g. 0.12 for 12% "
               f"(got {c.text(v)})")
    return {"cutoff": 3, "quota": 4, "families": 5, "budget": 6}[name], score, x


def _members_lack(h, members):
    """1 if a member condition names a column the roster lacks (a household column, maybe)."""
    if h is None or members is None:
        return False
    have = set(members.columns)
    for comp in h.components:
        if comp["member"] is None:
            continue
        try:
            used = _pkh.expr_columns(comp["member"])
        except Exception:  # the simulation says what is wrong with it
            continue
        if any(u not in have for u in used):
            return True
    return False


def _wanted(name, patterns):
    for x in patterns:
        if x == "all" or x == name or (x.endswith("*") and name.startswith(x[:-1])):
            return True
    return False


def _pick_rows(df, indicators):
    if indicators is None:
        return df
    patterns = c.names(indicators, "indicators")
    keep = [_wanted(str(v), patterns) for v in df["indicator"]]
    if not any(keep):
        c.fail(f"--indicators {c.joined(patterns)} matches no indicator (see pkh simulate "
               "--help)")
    out = df[keep].reset_index(drop=True)
    out.attrs = df.attrs
    return out


def simulate(data, *, program, income=None, weight=None, size=None, line=None, by=None,
             recipient=None, score=None, cutoff=None, quota=None, families=None, budget=None,
             all=False, members=None, key=None, household_key=None, strict=False,
             amount=None, cap=None, akses=None, flag=None, compare=None, compare_amount=None,
             compare_cap=None, period=None, observed_benefit=None, scale=None, define=None,
             design=None, strata=None, psu=None, fpc=None, lonely_psu=None, level=None,
             indicators=None, per_household=False, id=None, threads=0, read_options=None):
    """Simulate a cash-transfer programme on household data, as ``pkh simulate`` does: per
    household the members counted in each component, the cap, eligibility and the benefit;
    then, for everyone and by group, families and persons paid, the budget, and poverty and
    inequality before and after the transfer. Definitions: docs/programs.md.

    Args:
        data: the households: a :class:`pkh.Table`, DataFrame, dict of arrays or CSV path.
        program: a preset name (``"pkh-2019"``, ...), a rules file's path, or a
            :class:`pkh.Program`. amount: ``{"smp": 2000000}`` (annual amounts to change);
            cap: members counted per family (0: none).
        income, period, observed_benefit, scale: welfare per person before the transfer
            (``period="month"``, the default, or ``"year"``), an annual benefit already inside
            it, and the equivalence-scale column (welfare per equivalent adult).
        weight, size, line, by: as in :func:`pkh.indicators` (line: a number, a column,
            ``"rel:F:median"``).
        recipient / score with cutoff, quota, families or budget / all: who is paid (default:
            the programme's own rule).
        members, key, household_key, strict: a member roster (Table, DataFrame or path):
            component counts come from its rows; ``key`` is its household id column.
        akses, flag: programme flags bound to columns (``flag={"akses": "remote"}``).
        compare, compare_amount, compare_cap: a second programme, side by side, with a
            ``program`` column and "difference" rows.
        define: derived household columns, as in :func:`pkh.indicators`.
        design (or strata=, psu=, fpc=, lonely_psu=), level: linearised standard errors.
        indicators: keep these rows: names or ``PREFIX*`` (e.g. ``["budget*", "fgt0*"]``);
            default all.
        per_household: also return the per-household results (as ``--out``): id, eligible,
            count_, paid_ and amount_ per component, flat, benefit, benefit_stage1..,
            welfare_before, welfare_after. id: the id column to put in it.
        threads: 0 for every core.

    Returns:
        a DataFrame (the by columns, [program], indicator, estimate, se, ci_low, ci_high, n,
        population) with the command's JSON ``meta`` in ``df.attrs["meta"]``; with
        ``per_household=True`` the pair ``(results, per_household)``. Member rows that match
        no household give a ``UserWarning`` (an error with ``strict=True``).
    """
    threads = c.check_threads(threads)
    if (members is None) != (key is None):
        raise TypeError("members= and key= go together")
    if line is not None and income is None:
        raise TypeError("line= needs income=, the welfare column")
    dsg = c.design_of(design, strata, psu, fpc, lonely_psu)
    has_design = dsg is not None and (dsg.strata is not None or dsg.psu is not None)
    loose = dsg is not None and (dsg.fpc is not None or dsg.lonely_psu != "fail")
    if not has_design and (loose or level is not None):
        raise TypeError("fpc=, lonely_psu= and level= go with the design: give strata= and/or "
                        "psu=")
    sel = _selection(all, recipient, score, cutoff, quota, families, budget)
    p = _load(program, amount, cap, "--amount")
    q = _load(compare, compare_amount, compare_cap, "--compare-amount") \
        if compare is not None else None
    if q is None and (compare_amount is not None or compare_cap is not None):
        raise TypeError("compare_amount= and compare_cap= change the compare= programme: give "
                        "it")
    line_text = c.text(line)
    if line_text is not None:
        _pkh.check("line", line_text)
    if period is not None and period not in ("month", "year"):
        raise ValueError(f"period= takes 'month' or 'year' (got {period!r})")
    lv = c.level_value(level, "--level is a confidence level between 0 and 1, e.g. 0.95 (got "
                              "{})")
    flags = _pairs(flag, "--flag", "akses=remote")
    flags += [("akses", akses)] if akses is not None else []
    by_cols = c.names(by, "by")
    roster = c.load_other(members, threads, read_options, "members")
    cols = _needed(p, q, roster, sel, income, weight, size, observed_benefit, recipient, score,
                   akses, dsg, id, scale, household_key or key, by_cols, line_text, flags)
    table, _, _ = c.prepare(data, cols, define, None, threads, read_options,
                            all_columns=_members_lack(p, roster) or _members_lack(q, roster))
    res, ph, info = _pkh.simulate(
        p, table._t, compare=q, members=None if roster is None else roster._t, income=income,
        weight=weight, size=size, scale=scale, line=line_text,
        period=1 if period == "year" else 0, observed_benefit=observed_benefit,
        by=None if by_cols is None else tuple(by_cols), selection=sel[0],
        selection_column=sel[1], selection_value=sel[2],
        flags=tuple((k, v) for k, v in flags) or None, member_key=key,
        household_key=household_key, strict=bool(strict), id=id,
        design=dsg._tuple() if has_design else None,
        level=lv or 0.0, threads=threads, per_household=bool(per_household))
    if info["members_unmatched"] > 0:
        warnings.warn(f"{info['members_unmatched']} member rows ({info['members_missing_key']} "
                      "without a key) match no household and were left out (strict=True makes "
                      "this an error)", stacklevel=2)
    df = c.frame(res)
    df.attrs["meta"] = _meta(data, members, p, q, sel, period, info)
    df = _pick_rows(df, indicators)
    if per_household:
        return df, c.frame(ph)
    return df


def _needed(p, q, roster, sel, income, weight, size, observed, recipient, score, akses, dsg,
            id_, scale, hkey, by_cols, line_text, flags):
    cols = c.add([], income, weight, size, observed, recipient, score, akses,
                 *(dsg.columns if dsg else ()), id_, scale, hkey, *(by_cols or ()))
    if line_text is not None and _pkh.line_kind(line_text) == 2:
        c.add(cols, line_text)
    c.add(cols, *(col for _, col in flags))
    for h in (p, q):
        if h is None:
            continue
        c.add(cols, *h.household_columns(roster is not None))
        kind, column, _ = h.selection
        if column is not None and sel[0] == 0:
            c.add(cols, column)
    return cols


def _meta(data, members, p, q, sel, period, info):
    chosen = []
    for i, h in enumerate((p, q) if q is not None else (p,)):
        kind, column, value = sel if sel[0] != 0 else h.selection
        chosen.append({"program": h.name, "rule": _RULES[kind], "column": column,
                       "value": value if kind >= 3 else None,
                       "cutoff": c.real_or_none(info["cutoff"][i]),
                       "families": info["families"][i], "budget": info["budget"][i],
                       "missing_score": info["missing_score"][i]})
    unit = (f"money per year in {p.currency}; welfare and line per person per "
            f"{'year' if period == 'year' else 'month'}; persons = weight x size")
    return {"command": "simulate", "file": c.file_name(data),
            "members": c.file_name(members) if members is not None else None,
            "program": _program_json(p), "compare": _program_json(q) if q is not None else None,
            "rows": info["rows"], "rows_used": info["used"],
            "excluded": {"missing_income": info["missing_income"],
                         "missing_key": info["missing_key"],
                         "missing_counts": info["missing_counts"], "members": info["members"],
                         "members_unmatched": info["members_unmatched"],
                         "members_missing_key": info["members_missing_key"]},
            "selection": chosen, "line": c.real_or_none(info["line"]), "unit": unit,
            "standard_errors": "linearised over the full design (influence values); the "
                               "selection cut-off and relative lines taken as fixed"
                               if info["se"] else
                               "not computed (point estimates; give --strata/--psu)",
            "version": _pkh.version}
