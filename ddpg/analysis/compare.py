"""Compare training runs: group seeds by setting, summarise each group, write tables and plots.

``python -m ddpg.compare PATH [PATH ...] [--by KEY ...] [--out DIR] [--metric M]
[--resamples N] [--seed S]``. Every directory below a PATH holding ``summary.json`` is a
run (:mod:`ddpg.analysis.runs`). Runs are grouped (:mod:`ddpg.analysis.grouping`) by the swept keys
(the rule of :mod:`ddpg.analysis.swept`) or by ``--by`` keys, dotted or short (``reward_norm`` ->
``reward_norm.name``, ``tau`` -> ``agent.tau``). ``compare.csv``, ``compare.md``
(:mod:`ddpg.analysis.report`) and ``learning_curves.png`` go to ``--out`` (default: the first PATH);
the markdown report is also printed.

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

from pathlib import Path

import numpy as np
import pandas as pd

from ddpg.analysis import stats
from ddpg.analysis.grouping import group_labels, grouping_keys, groups, resolve_keys
from ddpg.analysis.plots import Band
from ddpg.analysis.report import report
from ddpg.analysis.results import write_curve_table, write_run_table
from ddpg.analysis.runs import EVAL_KEY, CompareError, Paths, curve, long_curves, read_runs
from ddpg.analysis.scores import COUNTED, PRUNED, curve_matrix, floor_score, scores

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
]
GRID_POINTS = 201  # learning-curve resolution: every 0.5% of the budget
#: compare.csv's columns after ``group`` and the grouping keys.
TABLE_COLUMNS = [
    "n_runs",
    "n_diverged",
    "n_at_floor",
    "mean",
    "mean_ci_low",
    "mean_ci_high",
    "median",
    "iqm",
    "iqm_ci_low",
    "iqm_ci_high",
    "p_improve",
    "frac_final_solved",
    "frac_ever_solved",
    "auc",
    "steps_to_solve",
    "n_failed",
    "n_unfinished",
    "n_pruned",
]


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


def _statistics(
    g: pd.DataFrame, metric: str, floor: float, **boot: int
) -> tuple[dict[str, float], np.ndarray]:
    """One group's row of the table (without its label) and its scores of `metric`."""
    counted = g[g["status"].isin(COUNTED)]
    sample = scores(g, metric, floor).to_numpy()
    s = stats.summarize(sample, **boot)
    target = counted["solved_score"].to_numpy(float)
    solvable = len(counted) > 0 and not np.isnan(target).all()
    final = counted["final_eval_return"].to_numpy(float)  # a run without an eval never solved
    ever = counted["steps_to_solve"].notna().to_numpy()
    n_failed = int((g["status"] == "failed").sum())
    n_pruned = int((g["status"] == PRUNED).sum())
    row = {
        "n_runs": len(counted),
        "n_diverged": int((counted["status"] == "diverged").sum()),
        "n_at_floor": int(counted[metric].isna().sum()),
        **{k: v for k, v in s.items() if k != "n"},
        "frac_final_solved": float(np.mean(final >= target)) if solvable else np.nan,
        "frac_ever_solved": float(np.mean(ever)) if solvable else np.nan,
        "auc": float(scores(g, "auc", floor).mean()),
        "steps_to_solve": float(counted["steps_to_solve"].mean()),
        "n_failed": n_failed,
        "n_unfinished": len(g) - len(counted) - n_failed - n_pruned,
        "n_pruned": n_pruned,
    }
    return row, sample


def summarize(
    runs: pd.DataFrame, keys: list[str], metric: str = "final_eval_return", **boot: int
) -> pd.DataFrame:
    """Per-group statistics of ``metric`` over counted runs, best mean first.

    Counted runs and their scores follow :mod:`ddpg.analysis.scores` (diverged runs included, so the
    best group is ranked on every outcome of its setting). ``p_improve`` is P(a run of the
    group beats a run of the best group by mean). ``frac_final_solved`` (the final eval
    reaches the solved score) and ``frac_ever_solved`` (some eval did) are NaN without a
    solved score; ``steps_to_solve`` averages the runs that solved. ``n_pruned`` counts the
    runs a search pruned (``ddpg.tune``), never counted; a group of only those has no row.
    ``boot`` (``n_resamples``, ``seed``) goes to :func:`ddpg.analysis.stats.summarize`.

    Returns:
        One row per group, columns :data:`TABLE_COLUMNS` with the keys after ``group``.
    """
    floor = floor_score(runs[runs["status"] != "damaged"])
    recs, samples = [], {}
    for label, g in groups(runs, keys):
        if (g["status"] == PRUNED).all():  # a search's discarded trial: listed apart
            continue
        row, samples[label] = _statistics(g, metric, floor, **boot)
        recs.append({"group": label, **g[keys].iloc[0].to_dict(), **row})
    columns = ["group", *keys, *TABLE_COLUMNS]
    if not recs:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(recs).sort_values("mean", ascending=False, na_position="last")
    best = samples[table["group"].iloc[0]]
    pois = [stats.probability_of_improvement(samples[g], best) for g in table["group"]]
    return table.assign(p_improve=pois).reindex(columns=columns).reset_index(drop=True)


def learning_curve_bands(
    runs: pd.DataFrame, scalars: list[pd.DataFrame], keys: list[str], **boot: int
) -> dict[str, Band]:
    """Each group's eval curve: mean and bootstrap CI of the mean over its counted runs.

    Curves follow :mod:`ddpg.analysis.scores` (held to the budget, the floor for runs without an
    eval) on a grid of :data:`GRID_POINTS` steps over [0, the group's largest budget]; the interval
    is :func:`ddpg.analysis.stats.bootstrap_mean_band` with ``boot``, so at the budget it is the
    table's CI of ``final_eval_return``.

    Args:
        runs: Rows from :func:`load_runs`; ``scalars[i]`` belongs to ``runs.loc[i]``.
        scalars: Each run's scalars (as returned with the rows).
        keys: The grouping keys.
        **boot: ``n_resamples`` and ``seed``.
    """
    floor = floor_score(runs[runs["status"] != "damaged"])
    bands = {}
    for label, g in groups(runs, keys):
        counted = g[g["status"].isin(COUNTED)]
        budgets = counted["budget"].to_numpy(float)
        if not len(counted) or np.isnan(budgets).all():
            continue
        evals = [curve(scalars[i], EVAL_KEY) for i in counted.index]
        curves = [(c["step"].to_numpy(), c["value"].to_numpy()) for c in evals]
        grid = np.linspace(0.0, np.nanmax(budgets), GRID_POINTS)
        matrix = curve_matrix(curves, budgets, floor, grid)
        mean, low, high = stats.bootstrap_mean_band(matrix, **boot)
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
) -> tuple[str, list[Path]]:
    """Compare the runs below `paths`: write compare.csv, compare.md, learning_curves.png,
    learning_curves.csv and runs.csv (:mod:`ddpg.analysis.results`) into `out` (default: the
    first path); returns the markdown report and the written files.

    Raises:
        CompareError: No run could be read, or a grouping key is unknown.
        OSError: `out` cannot be written.
    """
    boot = {"n_resamples": n_resamples, "seed": seed}
    runs, scalars = _load(paths)
    keys = resolve_keys(runs, by) if by else runs.attrs["swept"]
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys if k not in runs})
    table = summarize(runs, keys, metric, **boot)
    floor = floor_score(runs[runs["status"] != "damaged"])
    text = report(table, runs, keys, metric, floor, **boot)
    out = out or paths[0]
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare.csv", index=False)
    (out / "compare.md").write_text(text)
    from ddpg.analysis.plots import save_learning_curves  # matplotlib loads only when plotting

    bands = learning_curve_bands(runs, scalars, keys, **boot)
    save_learning_curves(bands, out / "learning_curves.png", EVAL_KEY)
    written = [out / "compare.csv", out / "compare.md", out / "learning_curves.png"]
    # Per-run and per-step numbers for checkers (ddpg.analysis.results).
    written += [write_curve_table(bands, out), write_run_table(runs, scalars, keys, paths, out)]
    return text, written
