"""Choose the keys that group runs: the swept parameters, or the ones named by ``--by``.

Swept keys are the ``params.json`` keys named in ``.hydra/overrides.yaml`` whose values differ
between runs (any differing key if no override explains the differences). Never ``seed``,
``hydra.*`` or path-like keys, and only values of runs that trained count: a sweep job that
failed validation (``tau=5``) keeps its folder with its bad value, and that value must not
split the real runs into groups.
"""

from __future__ import annotations

import pandas as pd

from ddpg.runs import CompareError

#: Runs whose parameters say nothing about what was compared.
NOT_TRAINED = ("failed", "damaged")


def swept_keys(runs: pd.DataFrame, overridden: set[str]) -> list[str]:
    """The keys whose values differ between the runs that trained, by dotted name.

    Args:
        runs: Rows from :func:`ddpg.runs.read_runs` (``param.<key>`` columns).
        overridden: Every key some run's overrides.yaml set.
    """
    ok = runs[~runs["status"].isin(NOT_TRAINED)]
    keys = [c[6:] for c in ok.columns if c.startswith("param.")]
    # Seeds and locations differ in every sweep by construction; they are not treatments.
    per_run = [k for k in keys if k.rsplit(".", 1)[-1] == "seed" or k.startswith("hydra.")]
    per_run += [k for k in keys if k.endswith(("dir", "path", "file"))]
    differ = [k for k in keys if k not in per_run and ok[f"param.{k}"].nunique(dropna=False) > 1]
    # A group override (``reward_norm=running``) sweeps all of its sub-keys.
    chosen = [k for k in differ if any(k == o or k.startswith(o + ".") for o in overridden)]
    chosen = chosen or differ
    # ...but a sub-key that only follows the option's name (reward_norm.gamma when
    # reward_norm=none,episode_return) is part of that option, not a treatment of its own.
    return [k for k in chosen if not _follows_option_name(ok, k, chosen)]


def _follows_option_name(runs: pd.DataFrame, key: str, swept: list[str]) -> bool:
    group = key.rsplit(".", 1)[0]
    name = f"{group}.name"
    if "." not in key or key == name or name not in swept:
        return False
    values = runs[f"param.{name}"].astype(str)
    return bool((runs.groupby(values)[f"param.{key}"].nunique(dropna=False) <= 1).all())


def resolve_keys(runs: pd.DataFrame, names: list[str]) -> list[str]:
    """Map ``--by`` names to parameter keys: exact, else ``<name>.name``, else dotted suffix.

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
            raise CompareError(f"--by {name!r} {why}; swept: {swept}; all: {', '.join(keys)}")
        out.append(hits[0])
    return out


def group_labels(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Label each run by its group values ("running" or "tau=0.005, name=running")."""
    if not keys:
        return pd.Series("all runs", index=runs.index)
    short = [k.removesuffix(".name").rsplit(".", 1)[-1] for k in keys]
    vals = runs[keys].astype(str).to_numpy()
    if len(keys) == 1:
        return pd.Series(vals[:, 0], index=runs.index)
    return pd.Series(
        [", ".join(f"{s}={v}" for s, v in zip(short, r, strict=True)) for r in vals], runs.index
    )
