"""ddpg.analysis.sensitivity: one subplot per swept numeric key, one line per setting of the
other keys, a log axis for rates; compare writes sensitivity.png only when there is one."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ddpg import compare as compare_command
from ddpg.analysis.sensitivity import log_scale, sensitivity_figure

from .rundirs import write_run

LRS, TAUS, NORMS = (1e-4, 1e-3), (0.002, 0.005, 0.01), ("none", "running")
KEYS = ["agent.actor_lr", "agent.tau", "reward_norm.name"]


def grid_table() -> pd.DataFrame:
    """compare's table for a 2 x 3 x 2 sweep: score = 1000 * tau, CI +- 10."""
    rows = [
        {"agent.actor_lr": lr, "agent.tau": tau, "reward_norm.name": norm, "mean": 1000 * tau}
        for lr, tau, norm in itertools.product(LRS, TAUS, NORMS)
    ]
    table = pd.DataFrame(rows)
    return table.assign(mean_ci_low=table["mean"] - 10, mean_ci_high=table["mean"] + 10)


def drawn(ax) -> list:
    """The error-bar containers of one subplot, in legend order."""
    return [c for c in ax.containers if c.get_label() and not c.get_label().startswith("_")]


def test_one_subplot_per_numeric_key_and_one_line_per_setting_of_the_others() -> None:
    fig = sensitivity_figure(grid_table(), KEYS, "final_eval_return")
    lr_ax, tau_ax = fig.axes  # reward_norm is not numeric: no subplot of its own
    assert lr_ax.get_xlabel() == "actor_lr (log scale)" and lr_ax.get_xscale() == "log"
    assert tau_ax.get_xlabel() == "tau" and tau_ax.get_xscale() == "linear"
    assert [c.get_label() for c in drawn(lr_ax)] == [
        f"tau={tau}, reward_norm={norm}" for tau in ("0.002", "0.005", "0.01") for norm in NORMS
    ]
    assert len(drawn(tau_ax)) == 4  # 2 lrs x 2 reward_norms
    assert drawn(tau_ax)[0].get_label() == "actor_lr=1e-4, reward_norm=none"
    # Each tau line runs through its three means, in tau order, x shifted a little apart.
    line = drawn(tau_ax)[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [2.0, 5.0, 10.0])
    np.testing.assert_allclose(line.get_xdata(), TAUS, atol=0.3 * 0.003)
    assert [t.get_text() for t in tau_ax.get_xticklabels()] == ["0.002", "0.005", "0.01"]
    assert [t.get_text() for t in lr_ax.get_xticklabels()] == ["1e-4", "0.001"]


def test_the_interval_is_drawn_and_a_single_runs_point_has_none() -> None:
    table = grid_table()
    table.loc[0, ["mean_ci_low", "mean_ci_high"]] = np.nan
    fig = sensitivity_figure(table, KEYS, "final_eval_return")
    segments = drawn(fig.axes[1])[0].lines[2][0].get_segments()  # lr=1e-4, none over tau
    assert len(segments[0]) == 0  # tau 0.002: no interval
    np.testing.assert_allclose(np.asarray(segments[1])[:, 1], [5.0 - 10, 5.0 + 10])


def test_a_search_without_repeated_settings_draws_one_point_per_group() -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "agent.actor_lr": 10 ** rng.uniform(-5, -3, 8),
            "agent.gamma": rng.uniform(0.97, 0.9999, 8),
            "noise.name": ["ou", "gaussian"] * 4,
            "mean": rng.uniform(-1500, -150, 8),
        }
    ).assign(mean_ci_low=np.nan, mean_ci_high=np.nan)
    fig = sensitivity_figure(table, ["agent.actor_lr", "agent.gamma", "noise.name"], "auc")
    assert len(fig.axes) == 2
    assert [c.get_label() for c in drawn(fig.axes[0])] == ["noise=gaussian", "noise=ou"]
    assert sum(len(c.lines[0].get_xdata()) for c in drawn(fig.axes[0])) == 8
    assert "each point a group" in fig.axes[0].get_title()


def test_nothing_to_draw_without_a_numeric_key_of_two_values() -> None:
    table = grid_table()
    one_value = table[(table["agent.actor_lr"] == 1e-4) & (table["agent.tau"] == 0.005)]
    assert sensitivity_figure(one_value, KEYS, "final_eval_return") is None
    assert sensitivity_figure(table, ["reward_norm.name"], "final_eval_return") is None


@pytest.mark.parametrize(
    ("key", "values", "log"),
    [
        ("agent.actor_lr", [1e-4, 2e-4], True),  # a rate by name, even over a factor of 2
        ("agent.critic_lr", [0.0, 1e-3], False),  # 0 has no place on a log axis
        ("agent.tau", [0.001, 0.01], True),  # a factor of 10
        ("agent.tau", [0.005, 0.01], False),
        ("optimizer.learning_rate", [1e-4, 3e-4], True),
        ("agent.lr_decay", [0.5, 0.9], False),  # no rate
    ],
)
def test_log_scale(key: str, values: list[float], log: bool) -> None:
    assert log_scale(key, pd.Series(values)) is log


def test_compare_writes_sensitivity_png_only_for_a_numeric_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep"
    for i, (tau, seed) in enumerate(itertools.product((0.001, 0.005), (0, 1))):
        params = {"agent.tau": tau}
        overrides = [f"agent.tau={tau}", f"seed={seed}"]
        evals = [(1000, -900.0 + 1e5 * tau + seed)]
        write_run(sweep / str(i), evals, seed=seed, params=params, overrides=overrides)
    assert compare_command.main([str(sweep), "--resamples", "50"]) == 0
    png = sweep / "sensitivity.png"
    assert png.read_bytes()[:4] == b"\x89PNG" and str(png) in capsys.readouterr().out
    # Grouped by a text key only: no sensitivity plot, and the earlier one is not left behind.
    assert compare_command.main([str(sweep), "--by", "env.id", "--resamples", "50"]) == 0
    assert not png.exists() and str(png) not in capsys.readouterr().out


def test_by_chooses_the_x_key_and_the_lines_pooling_the_keys_left_out(tmp_path: Path) -> None:
    """`--by agent.tau reward_norm` on an lr x tau x reward_norm sweep: tau is the only x axis,
    one line per reward_norm, each point the runs of both actor_lrs (no `--across` needed)."""
    sweep = tmp_path / "sweep"
    grid = itertools.product(LRS, (0.001, 0.005), NORMS, (0, 1))
    for i, (lr, tau, norm, seed) in enumerate(grid):
        params = {"agent.actor_lr": lr, "agent.tau": tau}
        overrides = [
            f"agent.actor_lr={lr}",
            f"agent.tau={tau}",
            f"reward_norm={norm}",
            f"seed={seed}",
        ]
        evals = [(1000, -900.0 + 1e5 * tau + 1e5 * lr + seed)]
        write_run(
            sweep / str(i), evals, seed=seed, reward_norm=norm, params=params, overrides=overrides
        )
    by = ["agent.tau", "reward_norm.name"]
    assert compare_command.main([str(sweep), "--by", *by, "--resamples", "50"]) == 0
    table = pd.read_csv(sweep / "compare.csv")
    assert sorted(table["n_runs"]) == [4] * 4  # 2 lrs x 2 seeds pooled in each point
    (ax,) = sensitivity_figure(table, by, "final_eval_return").axes
    assert ax.get_xlabel() == "tau"  # reward_norm is no number: no subplot of its own
    assert [c.get_label() for c in drawn(ax)] == ["reward_norm=none", "reward_norm=running"]
    for line in drawn(ax):  # the mean over both lrs: -900 + 1e5 * tau + 55 + 0.5
        np.testing.assert_allclose(line.lines[0].get_ydata(), [-744.5, -344.5])
    assert (sweep / "sensitivity.png").exists()
