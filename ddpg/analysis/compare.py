"""Compare training runs: group seeds by setting, summarise each group, write tables and plots.

``python -m ddpg.compare PATH [PATH ...] [--by KEY ...] [--out DIR] [--metric M]
[--resamples N] [--seed S]``. Every directory below a PATH holding ``summary.json`` is a
run (:mod:`ddpg.analysis.runs`). Runs are grouped (:mod:`ddpg.analysis.grouping`) by the swept keys
(the rule of :mod:`ddpg.analysis.swept`) or by ``--by`` keys, dotted or short (``reward_norm`` ->
``reward_norm.name``, ``tau`` -> ``agent.tau``). ``compare.csv``, ``compare.md``
(:mod:`ddpg.analysis.report`), ``learning_curves.png`` and, where a numeric key was swept,
``sensitivity.png`` (:mod:`ddpg.analysis.sensitivity`) go to ``--out`` (default: the first
PATH); the markdown report is also printed. Where the runs hold a population-based training
study, ``pbt.md``, ``pbt_schedule.png`` and ``pbt_lineage.png`` too (:mod:`ddpg.analysis.pbt_view`).

Statistics (:mod:`ddpg.analysis.stats`) count completed, stopped-early and diverged runs, each
scored by one rule (:mod:`ddpg.analysis.scores`); failed, unfinished and damaged runs are listed
under "Problems" in ``compare.md``, and runs a search pruned (``ddpg.tune``) under "Pruned runs"
(``n_pruned``; a group of only pruned runs gets no row). Only if every run is damaged does
the command fail.

:func:`load_runs` columns: ``run_dir``, the swept keys by dotted name (also listed in
``df.attrs["swept"]``), then the columns of :mod:`ddpg.analysis.runs`. User errors print one line to
stderr and exit with 2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ddpg.analysis import stats
from ddpg.analysis.grouping import group_labels, grouping_keys, groups, resolve_keys
from ddpg.analysis.plots import Band
from ddpg.analysis.report import report
from ddpg.analysis.results import write_curve_table, write_run_table
from ddpg.analysis.runs import EVAL_KEY, CompareError, Paths, long_curves, read_runs
from ddpg.analysis.scores import COUNTED, curve_matrix, floor_score
from ddpg.analysis.sensitivity import SENSITIVITY_FILE, save_sensitivity
from ddpg.analysis.table import TABLE_COLUMNS, eval_curves, summarize

__all__ = [
    "CompareError",
    "group_labels",
    "learning_curve_bands",
    "load_curves",
    "load_runs",
    "compare",
    "report",
    "resolve_keys",
    "summarize",
    "TABLE_COLUMNS",
]
GRID_POINTS = 201  # learning-curve resolution: every 0.5% of the budget


def _load(paths: Paths) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    df, overridden, scalars = read_runs(paths)
    swept = grouping_keys(df, overridden)
    for i, k in enumerate(swept, start=1):
        df.insert(i, k, df[f"param.{k}"])
    df.attrs["swept"] = swept
    return df, scalars


def load_runs(path_or_paths: Paths) -> pd.DataFrame:
    """Load every run below the given path(s), one row per run (damaged ones included).

    Args:
        path_or_paths: A run directory, a sweep, any tree of them, or a list of these.

    Returns:
        The runs; the columns are described in the module docstring. Values are each run's
        own: the floor score of :mod:`ddpg.analysis.scores` is applied by :func:`summarize`.

    Raises:
        CompareError: A path is missing or empty, holds no runs, or every run is damaged.
    """
    return _load(path_or_paths)[0]


def load_curves(path_or_paths: Paths, key: str = EVAL_KEY) -> pd.DataFrame:
    """Load one logged scalar of every run, long format.

    Args:
        path_or_paths: As for :func:`load_runs`.
        key: The scalars.csv key, e.g. ``"train/episode_return_ema"``.

    Returns:
        Columns ``run_dir``, the swept keys, ``seed``, ``status``, ``step``, ``value``.
    """
    runs, scalars = _load(path_or_paths)
    return long_curves(runs, scalars, key, runs.attrs["swept"])


def learning_curve_bands(
    runs: pd.DataFrame, scalars: list[pd.DataFrame], keys: list[str]
) -> dict[str, Band]:
    """Each group's eval curve: mean and Student t CI of the mean over its counted runs.

    Curves follow :mod:`ddpg.analysis.scores` (held to the budget, the floor for runs without an
    eval) on a grid of :data:`GRID_POINTS` steps over [0, the group's largest budget]; the interval
    is :func:`ddpg.analysis.stats.mean_band`, so at the budget it is the table's CI of
    ``final_eval_return``.

    Args:
        runs: Rows from :func:`load_runs`; ``scalars[i]`` belongs to ``runs.loc[i]``.
        scalars: Each run's scalars (as returned with the rows).
        keys: The grouping keys.
    """
    floor = floor_score(runs[runs["status"] != "damaged"])
    bands = {}
    for label, g in groups(runs, keys):
        counted = g[g["status"].isin(COUNTED)]
        budgets = counted["budget"].to_numpy(float)
        if not len(counted) or np.isnan(budgets).all():
            continue
        curves = eval_curves(counted, scalars)
        grid = np.linspace(0.0, np.nanmax(budgets), GRID_POINTS)
        matrix = curve_matrix(curves, budgets, floor, grid)
        mean, low, high = stats.mean_band(matrix)
        n_diverged = int((counted["status"] == "diverged").sum())
        n = (~np.isnan(matrix)).sum(axis=0)  # runs with data per step: falls past short budgets
        bands[label] = Band(grid, mean, low, high, len(counted), n_diverged, n)
    return bands


def compare(
    paths: list[Path],
    by: list[str] | None = None,
    out: Path | None = None,
    metric: str = "final_eval_return",
    n_resamples: int = 2000,
    seed: int = 0,
    write_bands: Callable[[Mapping[str, Band], Path], Path] | None = None,
) -> tuple[str, list[Path]]:
    """Compare the runs below `paths`: write compare.csv, compare.md, learning_curves.png,
    sensitivity.png (:mod:`ddpg.analysis.sensitivity`, only when a numeric key was swept over
    two values or more), learning_curves.csv and runs.csv (:mod:`ddpg.analysis.results`) into
    `out` (default: the first path); returns the markdown report and the written files.
    `write_bands`, if given, also writes the learning curves' bands (the numbers of
    learning_curves.csv) elsewhere, into `out`: the command passes TensorBoard's
    (ddpg.storage.group_curves), which analysis may not import.

    Raises:
        CompareError: No run could be read, or a grouping key is unknown.
        OSError: `out` cannot be written.
    """
    boot = {"n_resamples": n_resamples, "seed": seed}
    runs, scalars = _load(paths)
    keys = resolve_keys(runs, by) if by else runs.attrs["swept"]
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys if k not in runs})
    table = summarize(runs, keys, metric, scalars, **boot)
    floor = floor_score(runs[runs["status"] != "damaged"])
    text = report(table, runs, keys, metric, floor, **boot)
    out = out or paths[0]
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare.csv", index=False)
    (out / "compare.md").write_text(text)
    from ddpg.analysis.plots import save_learning_curves  # matplotlib loads only when plotting

    bands = learning_curve_bands(runs, scalars, keys)
    save_learning_curves(bands, out / "learning_curves.png", EVAL_KEY)
    written = [out / "compare.csv", out / "compare.md", out / "learning_curves.png"]
    sensitivity = save_sensitivity(table, keys, metric, out / SENSITIVITY_FILE)
    written += [sensitivity] if sensitivity else []
    # Per-run and per-step numbers for checkers (ddpg.analysis.results).
    written += [write_curve_table(bands, out), write_run_table(runs, scalars, keys, paths, out)]
    if write_bands is not None:
        written.append(write_bands(bands, out))
    # A population-based training study also gets its ranking, schedule and lineage.
    from ddpg.analysis.pbt_view import write_pbt_views

    written += write_pbt_views(runs, out)
    return text, written
