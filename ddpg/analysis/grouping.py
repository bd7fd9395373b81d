"""Group compare's runs: by the swept keys of the runs that trained, or by ``--by`` keys.

Which keys are swept is :mod:`ddpg.analysis.swept`'s rule, applied here to the runs' params.json
values. Only runs that trained count: a sweep job that failed validation (``tau=5``) keeps its
folder with its bad value, and that value must not split the real runs into groups.

Runs of different budgets (``trainer.total_steps``) never share a group by default: where the
swept keys would put them together, the budget joins the keys. Past the shorter budget only
some runs would have a curve, and a mean over a changing set of runs is no learning curve.
``--by`` keys are the user's choice and are taken as given (the curve then marks where its
number of runs changes).

A group's label names its keys by their shortest distinct dotted suffix (:func:`short_names`)
and prints each value through :func:`value_labels`, the one way a swept value is printed in
compare's labels, legends and tables.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ddpg.analysis.runs import BUDGET_KEY, CompareError
from ddpg.analysis.swept import swept_keys

#: Runs whose parameters say nothing about what was compared.
NOT_TRAINED = ("failed", "damaged")
#: Significant digits of a value nobody typed (a search's 0.001127188175138778 -> 0.001127).
DIGITS = 4
#: A value written with at most this many significant digits prints in full: someone chose it,
#: and a rounded 0.99985 (gamma) would read as another setting (0.9998, or 1).
TYPED_DIGITS = 6


def grouping_keys(runs: pd.DataFrame, overridden: set[str]) -> list[str]:
    """The treatments (:func:`ddpg.analysis.swept.swept_keys`) of the runs that trained, by dotted
    name.

    Args:
        runs: Rows from :func:`ddpg.analysis.runs.read_runs` (``param.<key>`` columns).
        overridden: Every key some run's overrides.yaml set.
    """
    trained = runs[~runs["status"].isin(NOT_TRAINED)]
    columns = [c for c in trained.columns if c.startswith("param.")]
    params = [
        {c.removeprefix("param."): row[c] for c in columns} for row in trained.to_dict("records")
    ]
    return with_budget(trained, swept_keys(params, overridden))


def with_budget(runs: pd.DataFrame, keys: list[str]) -> list[str]:
    """`keys`, plus the budget key if runs alike in `keys` had different budgets.

    Args:
        runs: Rows with ``param.<key>`` columns (runs without a budget in params.json count as
            one budget of their own).
        keys: Dotted keys.
    """
    budget = f"param.{BUDGET_KEY}"
    if BUDGET_KEY in keys or budget not in runs or runs.empty:
        return keys
    by = [f"param.{k}" for k in keys]
    budgets = runs[budget].astype(str)  # NaN (no budget) is a value of its own
    mixed = (
        budgets.groupby([runs[c].astype(str) for c in by]).nunique() if by else budgets.nunique()
    )
    return [*keys, BUDGET_KEY] if (pd.Series(mixed) > 1).any() else keys


def resolve_keys(runs: pd.DataFrame, names: list[str], flag: str = "--by") -> list[str]:
    """Map ``--by`` names to parameter keys: exact, else ``<name>.name``, else dotted suffix.

    `flag` names the option in errors (``--across`` resolves its key the same way).

    Raises:
        CompareError: A name matches no key or several; the message lists the keys.
    """
    keys = sorted(c[6:] for c in runs.columns if c.startswith("param."))
    out = []
    for name in (n.removeprefix("param.") for n in names):
        hits = [k for k in keys if k.endswith("." + name)]
        hits = [name] if name in keys else [f"{name}.name"] if f"{name}.name" in keys else hits
        if len(hits) != 1:
            why = f"is ambiguous ({', '.join(hits)})" if hits else "matches no parameter"
            swept = ", ".join(runs.attrs.get("swept", [])) or "none"
            raise CompareError(f"{flag} {name!r} {why}; swept: {swept}; all: {', '.join(keys)}")
        out.append(hits[0])
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _number(x: float, digits: int) -> str:
    """`x` to `digits` significant digits (all of them if it was typed with few), in
    scientific notation below 0.001 (``1e-4``, ``3.5e-5``), else positional."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    written = np.format_float_scientific(x, unique=True, trim="-").split("e")[0]
    typed = len(written.lstrip("-").replace(".", ""))
    digits = typed if typed <= TYPED_DIGITS else min(digits, typed)
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")  # rounding may carry: 9.9996e-4 -> 1e-3
    if int(exponent) < -3 or int(exponent) >= 15:
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}e{int(exponent)}"
    rounded = float(f"{mantissa}e{exponent}")
    return np.format_float_positional(
        rounded, precision=digits, unique=False, fractional=False, trim="-"
    )


def value_labels(values: Iterable[Any]) -> list[str]:
    """Each value as compare prints a swept value, in labels, legends and tables alike.

    Numbers get :data:`DIGITS` significant digits, or every digit they were written with when
    that is at most :data:`TYPED_DIGITS` (``0.99985`` stays ``0.99985``); below 0.001 in
    scientific notation (``1e-4``); integers whole. Where distinct numbers would print alike
    (``0.00112718`` and ``0.00112722`` sampled by a search), those get more digits until
    every number prints distinctly. Anything else prints as ``str`` does.
    """
    values = list(values)
    digits = dict.fromkeys(sorted({float(v) for v in values if _is_number(v)}), DIGITS)
    while True:
        texts = {x: _number(x, d) for x, d in digits.items()}
        alike: dict[str, list[float]] = {}
        for x, text in texts.items():
            alike.setdefault(text, []).append(x)
        clashing = [x for xs in alike.values() if len(xs) > 1 for x in xs]
        if not clashing or all(digits[x] >= 17 for x in clashing):  # 17 digits tell doubles apart
            break
        for x in clashing:
            digits[x] += 1
    return [texts[float(v)] if _is_number(v) else str(v) for v in values]


def short_names(keys: list[str]) -> list[str]:
    """Each key's shortest dotted suffix that no other key ends with (``agent.tau`` -> ``tau``,
    ``reward_norm.name`` -> ``reward_norm``; ``agent.gamma`` and ``reward_norm.gamma`` keep
    their prefix)."""
    parts = [k.removesuffix(".name").split(".") for k in keys]
    names = []
    for p in parts:
        for n in range(1, len(p) + 1):
            name = ".".join(p[-n:])
            if sum(".".join(q[-n:]) == name for q in parts) == 1:
                break
        names.append(name)
    return names


def group_labels(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Label each run by its group values ("running" or "tau=0.005, reward_norm=running"),
    each value through :func:`value_labels`."""
    if not keys:
        return pd.Series("all runs", index=runs.index)
    if len(keys) == 1 and keys[0] != BUDGET_KEY:  # a bare budget ("2000") would say nothing
        return pd.Series(value_labels(runs[keys[0]]), index=runs.index, dtype=str)
    return pd.Series(named_values(runs, keys), index=runs.index, dtype=str)


def named_values(rows: pd.DataFrame, keys: list[str]) -> list[str]:
    """Each row's ``name=value, ...`` over `keys` (:func:`short_names`, :func:`value_labels`)."""
    columns = [value_labels(rows[k]) for k in keys]
    names = short_names(keys)
    return [
        ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
        for values in zip(*columns, strict=True)
    ]


def sort_key(value: Any) -> tuple[int, float, str]:
    """Where a value goes in compare's orders: numbers by size (1e-4 before 0.001), then
    text alphabetically, then missing values."""
    if _is_number(value):
        return (0, float(value), "")
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return (2, 0.0, "") if missing else (1, 0.0, str(value))


def groups(runs: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """The runs' groups by `keys`, in the order of their values (:func:`sort_key`); damaged
    runs (no params) are in none, and a group that only failed jobs make is no setting that
    ran."""
    runs = runs[runs["status"] != "damaged"]  # listed as problems by ddpg.analysis.report
    grouped = runs.groupby(group_labels(runs, keys), sort=False)
    ran = [(str(label), g) for label, g in grouped if (g["status"] != "failed").any()]
    return sorted(ran, key=lambda item: [sort_key(v) for v in item[1][keys].iloc[0]])
