"""What each run scores: which runs count, a run's eval curve over its budget, the floor.

One rule serves the table and the learning-curve plot, so they cannot disagree:

- Counted runs are the outcomes of their setting: ``completed``, ``stopped_early`` and
  ``diverged`` (DESIGN.md: a statistic over runs never drops a run for how it ended).
  ``failed`` runs (a bad config, a crash outside learning) and ``damaged`` ones are not
  outcomes of the setting; ``running`` and ``interrupted`` ones are not outcomes yet.
  ``pruned`` runs (a hyperparameter search stopped them early, ``ddpg.tune``) are not either:
  they stopped because other runs did better, before their budget, so their last eval is no
  final score of their setting. They are reported apart (``n_pruned``).
- A run's eval curve joins its eval returns linearly, holds the first eval back to step 0
  and the last eval forward to the run's budget (``trainer.total_steps``). An early-stopped
  run and a diverged run therefore carry their last eval to the budget: a diverged run
  scores its last eval before divergence, which is what ``final_eval_return`` means for
  every run (the last evaluation made), so no status gets a rule of its own.
- A counted run with no eval at all (diverged before the first) scores the floor: the lowest
  eval return that any counted run of the comparison logged. It ranks last (ties with other
  floor runs) without a made-up number off the scale of observed returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

COUNTED = ("completed", "stopped_early", "diverged")
PRUNED = "pruned"  # stopped by a search's pruner: listed apart, never counted
Curve = tuple[np.ndarray, np.ndarray]  # (eval steps, eval returns), steps increasing


def eval_curve(steps: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The run's eval curve at steps `at`: linear between evals, held before and after.

    This is :func:`numpy.interp`; NaN everywhere when the run has no eval.
    """
    if not len(steps):
        return np.full(np.shape(at), np.nan)
    return np.interp(at, steps, values)


def mean_over_budget(steps: np.ndarray, values: np.ndarray, budget: float) -> float:
    """AUC as a mean return: (1 / B) * integral over [0, B] of the eval curve, B the budget.

    Exact for the piecewise-linear curve (trapezoids between its kinks). Every run of a
    setting is averaged over the same window whether it stopped early, diverged or
    evaluated once. NaN without an eval or a positive budget.
    """
    if not len(steps) or not budget > 0:
        return float("nan")
    kinks = np.asarray(steps, dtype=float)
    x = np.concatenate([[0.0], kinks[(kinks > 0) & (kinks < budget)], [budget]])
    return float(np.trapezoid(eval_curve(steps, values, x), x) / budget)


def floor_score(runs: pd.DataFrame) -> float:
    """The lowest eval return logged by any counted run (NaN when none evaluated)."""
    worst = runs.loc[runs["status"].isin(COUNTED), "worst_eval_return"]
    return float(worst.min()) if worst.notna().any() else float("nan")


def scores(runs: pd.DataFrame, metric: str, floor: float) -> pd.Series:
    """`metric` of each counted run of `runs`, in row order; a missing value scores `floor`."""
    counted = runs[runs["status"].isin(COUNTED)]
    return counted[metric].astype(float).fillna(floor)


def curve_matrix(
    curves: Sequence[Curve], budgets: Sequence[float], floor: float, grid: np.ndarray
) -> np.ndarray:
    """Counted runs' eval curves on a common grid, shape ``[runs, points]``.

    A run without an eval is the floor at every step. A run has no value (NaN) past its own
    budget, so runs of different budgets never count where they did not train.
    """
    rows = np.empty((len(curves), len(grid)))
    for row, (steps, values), budget in zip(rows, curves, budgets, strict=True):
        row[:] = eval_curve(steps, values, grid) if len(steps) else floor
        row[grid > budget] = np.nan
    return rows
