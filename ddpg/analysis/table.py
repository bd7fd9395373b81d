"""compare's table: one row per group of runs, each statistic with its interval.

The per-run scores follow :mod:`ddpg.analysis.scores`; the statistics and intervals are
:mod:`ddpg.analysis.stats`' and the peak of the mean curve :mod:`ddpg.analysis.peak`'s. The
columns of :data:`ddpg.analysis.intervals.DESCRIPTION` close every row: the level, each
interval's method, the bootstrap's resamples and seed, so compare.csv says how it was made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ddpg.analysis import intervals, stats
from ddpg.analysis.grouping import groups
from ddpg.analysis.peak import group_peak
from ddpg.analysis.runs import EVAL_KEY, CompareError, curve
from ddpg.analysis.scores import COUNTED, PRUNED, Curve, floor_score, scores

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
    "p_improve_ci_low",
    "p_improve_ci_high",
    "peak_of_mean_curve",
    "peak_ci_low",
    "peak_ci_high",
    "peak_step",
    "frac_final_solved",
    "frac_ever_solved",
    "auc",
    "steps_to_solve",
    "n_failed",
    "n_unfinished",
    "n_pruned",
    *intervals.DESCRIPTION,
]
#: The metric that is no per-run score; its per-run columns summarise ``best_eval_return``.
PEAK = "peak_of_mean_curve"
PEAK_COLUMNS = ("peak_of_mean_curve", "peak_ci_low", "peak_ci_high", "peak_step")


def eval_curves(counted: pd.DataFrame, scalars: list[pd.DataFrame]) -> list[Curve]:
    """The counted runs' (eval steps, eval returns), in row order."""
    evals = [curve(scalars[i], EVAL_KEY) for i in counted.index]
    return [(c["step"].to_numpy(), c["value"].to_numpy()) for c in evals]


def _statistics(
    g: pd.DataFrame, metric: str, floor: float, scalars: list[pd.DataFrame] | None, **boot: int
) -> tuple[dict[str, float], np.ndarray]:
    """One group's row of the table (without its label) and its per-run scores."""
    counted = g[g["status"].isin(COUNTED)]
    sample = scores(g, metric, floor).to_numpy()
    s = stats.summarize(sample)
    peak = (np.nan,) * 4
    if scalars is not None:
        budgets = counted["budget"].to_numpy(float)
        peak = group_peak(eval_curves(counted, scalars), budgets, floor, **boot)
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
        **dict(zip(PEAK_COLUMNS, peak, strict=True)),
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
    runs: pd.DataFrame,
    keys: list[str],
    metric: str = "final_eval_return",
    scalars: list[pd.DataFrame] | None = None,
    **boot: int,
) -> pd.DataFrame:
    """Per-group statistics of ``metric`` over counted runs, best first by ``metric``'s mean.

    Counted runs and their scores follow :mod:`ddpg.analysis.scores` (diverged runs included, so the
    best group is ranked on every outcome of its setting). ``p_improve`` is P(a run of the
    group beats a run of the best group by mean). ``frac_final_solved`` (the final eval
    reaches the solved score) and ``frac_ever_solved`` (some eval did) are NaN without a
    solved score; ``steps_to_solve`` averages the runs that solved. ``n_pruned`` counts the
    runs a search pruned (``ddpg.tune``), never counted; a group of only those has no row.
    ``peak_of_mean_curve`` (:mod:`ddpg.analysis.peak`, needs ``scalars``) is the max of the
    group's mean eval curve, at ``peak_step``; with ``metric="peak_of_mean_curve"`` groups
    are ranked by it and the per-run columns summarise ``best_eval_return``. ``boot``
    (``n_resamples``, ``seed``) drives the bootstrap intervals (p_improve's and the peak's).

    Raises:
        CompareError: ``metric`` is ``peak_of_mean_curve`` and ``scalars`` is None.

    Returns:
        One row per group, columns :data:`TABLE_COLUMNS` with the keys after ``group``.
    """
    if metric == PEAK and scalars is None:
        raise CompareError("metric peak_of_mean_curve needs the runs' scalars (eval curves)")
    per_run = "best_eval_return" if metric == PEAK else metric
    floor = floor_score(runs[runs["status"] != "damaged"])
    recs, samples = [], {}
    for label, g in groups(runs, keys):
        if (g["status"] == PRUNED).all():  # a search's discarded trial: listed apart
            continue
        row, samples[label] = _statistics(g, per_run, floor, scalars, **boot)
        recs.append({"group": label, **g[keys].iloc[0].to_dict(), **row})
    columns = ["group", *keys, *TABLE_COLUMNS]
    if not recs:
        return pd.DataFrame(columns=columns)
    rank = PEAK if metric == PEAK else "mean"
    table = pd.DataFrame(recs).sort_values(rank, ascending=False, na_position="last")
    best = table["group"].iloc[0]
    pois = [stats.probability_of_improvement(samples[g], samples[best]) for g in table["group"]]
    # The best group against itself is 0.5 by definition: no interval.
    cis = [
        stats.improvement_ci(samples[g], samples[best], **boot) if g != best else (np.nan,) * 2
        for g in table["group"]
    ]
    low, high = zip(*cis, strict=True)
    info = intervals.description(boot.get("n_resamples", 2000), boot.get("seed", 0))
    table = table.assign(p_improve=pois, p_improve_ci_low=low, p_improve_ci_high=high, **info)
    return table.reindex(columns=columns).reset_index(drop=True)
