"""The machine-readable results compare writes beside its table: runs.csv and learning_curves.csv.

Every number an experiment README quotes must be recomputable from committed files, so these
carry each run's own numbers and each group's curve, not only the summary table.

``runs.csv``, one row per run below the compared paths (damaged ones included):

- ``run``: the run folder relative to the compared root (the common folder of the given
  paths; its parent when a path is itself a run), ``/``-separated;
- ``group`` and the grouping keys (dotted names), ``seed``, ``status``, ``env_id``, ``budget``
  (``trainer.total_steps``), ``env_steps`` (summary.json);
- ``final_eval_return``, ``best_eval_return`` (summary.json), ``steps_to_solve``, ``auc``
  (:func:`ddpg.analysis.runs.eval_metrics`);
- ``eval_curve``: the whole eval curve as compact JSON, ``[[step, eval/return_mean], ...]`` in
  step order.

Read it back with ``pd.read_csv(path, dtype={"run": str}, converters={"eval_curve":
json.loads})`` (``run`` as text: folders named 0, 1, ... would read as numbers); then a row's
``curve[-1][1]`` is its last eval and ``max(v for _, v in curve)`` its best.

``learning_curves.csv``, long format, the numbers drawn in learning_curves.png: ``group``,
``step``, ``mean``, ``ci_low``, ``ci_high``, ``n_runs`` (the runs with data at that step, which
drops past a shorter run's budget when a group mixes budgets).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ddpg.analysis.grouping import group_labels
from ddpg.analysis.plots import Band
from ddpg.analysis.runs import EVAL_KEY, curve

RUNS_FILE = "runs.csv"
CURVES_FILE = "learning_curves.csv"
#: runs.csv's columns after ``run``, ``group`` and the grouping keys.
RUN_COLUMNS = [
    "seed",
    "status",
    "env_id",
    "budget",
    "env_steps",
    "final_eval_return",
    "best_eval_return",
    "steps_to_solve",
    "auc",
    "eval_curve",
]


def compared_root(paths: Sequence[Path]) -> Path:
    """The folder run names are relative to: the given paths' common folder, or its parent
    when that folder is itself a run (so a run compared alone is named by its folder)."""
    root = Path(os.path.commonpath([Path(p).resolve() for p in paths]))
    return root.parent if (root / "summary.json").exists() else root


def run_name(run_dir: str | Path, root: Path) -> str:
    """A run's ``run`` column: its folder relative to `root`, ``/``-separated."""
    return Path(os.path.relpath(Path(run_dir).resolve(), root)).as_posix()


def _number(value: float) -> float | int:
    """A step as an int where it is one, so the JSON stays short and exact."""
    return int(value) if float(value).is_integer() else float(value)


def curve_json(scalars: pd.DataFrame) -> str:
    """One run's eval curve as ``[[step, return], ...]`` JSON (``[]`` without an eval)."""
    c = curve(scalars, EVAL_KEY)
    pairs = [[_number(s), float(v)] for s, v in zip(c["step"], c["value"], strict=True)]
    return json.dumps(pairs, separators=(",", ":"))


def run_table(
    runs: pd.DataFrame, scalars: Sequence[pd.DataFrame], keys: list[str], root: Path
) -> pd.DataFrame:
    """runs.csv's rows (columns in the module docstring); ``scalars[i]`` belongs to row i."""
    names = [run_name(d, root) for d in runs["run_dir"]]
    table = pd.DataFrame({"run": names, "group": group_labels(runs, keys).to_numpy()})
    for key in keys:
        table[key] = runs[key].to_numpy() if key in runs else runs[f"param.{key}"].to_numpy()
    table.loc[(runs["status"] == "damaged").to_numpy(), "group"] = ""
    param = {"env_id": "param.env.id"}
    for column in RUN_COLUMNS[:-1]:
        source = param.get(column, column)
        table[column] = runs[source].to_numpy() if source in runs else np.nan
    for column in ("seed", "budget", "env_steps"):  # whole numbers stay whole beside a NaN
        values = pd.to_numeric(table[column], errors="coerce").astype(float)
        if (values.dropna() % 1 == 0).all():
            table[column] = values.astype("Int64")
    table["eval_curve"] = [curve_json(s) for s in scalars]
    return table


def write_run_table(
    runs: pd.DataFrame,
    scalars: Sequence[pd.DataFrame],
    keys: list[str],
    paths: Sequence[Path],
    out: Path,
) -> Path:
    """Write ``out/runs.csv`` (one row per run below `paths`) and return its path."""
    path = out / RUNS_FILE
    run_table(runs, scalars, keys, compared_root(paths)).to_csv(path, index=False)
    return path


def curve_table(bands: Mapping[str, Band]) -> pd.DataFrame:
    """learning_curves.csv's rows: every group's band, one row per grid step."""
    parts = [
        pd.DataFrame(
            {
                "group": label,
                "step": band.steps,
                "mean": band.mean,
                "ci_low": band.low,
                "ci_high": band.high,
                "n_runs": band.n if band.n is not None else band.n_runs,
            }
        )
        for label, band in bands.items()
    ]
    columns = ["group", "step", "mean", "ci_low", "ci_high", "n_runs"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def write_curve_table(bands: Mapping[str, Band], out: Path) -> Path:
    """Write ``out/learning_curves.csv`` and return its path."""
    path = out / CURVES_FILE
    curve_table(bands).to_csv(path, index=False)
    return path
