"""Group compare's runs: by the swept keys of the runs that trained, or by ``--by`` keys.

Which keys are swept is :mod:`ddpg.analysis.swept`'s rule, applied here to the runs' params.json
values. Only runs that trained count: a sweep job that failed validation (``tau=5``) keeps its
folder with its bad value, and that value must not split the real runs into groups.

Runs of different budgets (``trainer.total_steps``) never share a group by default: where the
swept keys would put them together, the budget joins the keys. Past the shorter budget only
some runs would have a curve, and a mean over a changing set of runs is no learning curve.
``--by`` keys are the user's choice and are taken as given (the curve then marks where its
number of runs changes).
"""

from __future__ import annotations

import pandas as pd

from ddpg.analysis.runs import BUDGET_KEY, CompareError
from ddpg.analysis.swept import swept_keys

#: Runs whose parameters say nothing about what was compared.
NOT_TRAINED = ("failed", "damaged")


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


def group_labels(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Label each run by its group values ("running" or "tau=0.005, reward_norm=running")."""
    if not keys:
        return pd.Series("all runs", index=runs.index)
    short = [k.removesuffix(".name").rsplit(".", 1)[-1] for k in keys]
    vals = runs[keys].astype(str).to_numpy()
    if len(keys) == 1 and keys[0] != BUDGET_KEY:  # a bare budget ("2000") would say nothing
        return pd.Series(vals[:, 0], index=runs.index)
    return pd.Series(
        [", ".join(f"{s}={v}" for s, v in zip(short, r, strict=True)) for r in vals], runs.index
    )


def groups(runs: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """The runs' groups by `keys`, in label order; damaged runs (no params) are in none, and
    a group that only failed jobs make is no setting that ran."""
    runs = runs[runs["status"] != "damaged"]  # listed as problems by ddpg.analysis.report
    grouped = runs.groupby(group_labels(runs, keys), sort=True)
    return [(str(label), g) for label, g in grouped if (g["status"] != "failed").any()]
