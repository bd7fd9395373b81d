"""Known answers for the scoring rules in ddpg.analysis.scores: eval curve, AUC window, floor."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ddpg.analysis import scores

STEPS, VALUES = np.array([1000.0, 2000.0]), np.array([-400.0, -100.0])


def test_eval_curve_holds_the_ends_and_joins_evals_linearly() -> None:
    at = np.array([0.0, 500.0, 1000.0, 1500.0, 2000.0, 4000.0])
    expected = [-400.0, -400.0, -400.0, -250.0, -100.0, -100.0]
    np.testing.assert_allclose(scores.eval_curve(STEPS, VALUES, at), expected)
    assert np.isnan(scores.eval_curve(np.array([]), np.array([]), at)).all()


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (4000.0, (-400 * 1000 - 250 * 1000 - 100 * 2000) / 4000),  # stopped early at 2000
        (2000.0, (-400 * 1000 - 250 * 1000) / 2000),
        (1500.0, (-400 * 1000 - 325 * 500) / 1500),  # evals past the budget do not count
    ],
)
def test_mean_over_budget_integrates_over_zero_to_budget(budget: float, expected: float) -> None:
    assert scores.mean_over_budget(STEPS, VALUES, budget) == pytest.approx(expected)


def test_mean_over_budget_single_eval_and_undefined_cases() -> None:
    assert scores.mean_over_budget(np.array([300.0]), np.array([-7.0]), 1000.0) == -7.0
    assert math.isnan(scores.mean_over_budget(np.array([]), np.array([]), 1000.0))
    assert math.isnan(scores.mean_over_budget(STEPS, VALUES, float("nan")))


def runs_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": ["completed", "diverged", "diverged", "failed", "interrupted"],
            "final_eval_return": [-150.0, -900.0, np.nan, np.nan, -5.0],
            "worst_eval_return": [-1100.0, -1200.0, np.nan, -3000.0, -4000.0],
        }
    )


def test_floor_is_the_worst_eval_of_a_counted_run() -> None:
    # The failed and interrupted runs' lower evals are not outcomes: they set no floor.
    assert scores.floor_score(runs_frame()) == -1200.0
    assert math.isnan(scores.floor_score(runs_frame().iloc[2:]))


def test_scores_count_diverged_runs_and_floor_the_ones_without_an_eval() -> None:
    got = scores.scores(runs_frame(), "final_eval_return", -1200.0)
    assert got.tolist() == [-150.0, -900.0, -1200.0]
    assert got.index.tolist() == [0, 1, 2]  # row order kept: the bootstrap resamples by row


def test_curve_matrix_floors_eval_less_runs_and_stops_at_each_budget() -> None:
    grid = np.array([0.0, 1000.0, 2000.0, 3000.0])
    curves = [(STEPS, VALUES), (np.array([]), np.array([]))]
    got = scores.curve_matrix(curves, [3000.0, 2000.0], -1200.0, grid)
    np.testing.assert_allclose(got, [[-400, -400, -100, -100], [-1200, -1200, -1200, np.nan]])


def test_pruned_runs_are_not_scored() -> None:
    runs = pd.DataFrame(
        {"status": ["completed", "pruned"], "x": [1.0, 5.0], "worst_eval_return": [-9.0, -99.0]}
    )
    assert scores.PRUNED not in scores.COUNTED
    assert scores.scores(runs, "x", floor=0.0).tolist() == [1.0]
    assert scores.floor_score(runs) == -9.0  # a pruned run's evals set no floor
