"""ddpg.analysis.group_style: a colour per group, and legends that show whole beside the axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ddpg.analysis import group_style
from ddpg.analysis.plots import Band, learning_curves_figure
from ddpg.analysis.sensitivity import sensitivity_figure


@pytest.mark.parametrize("n", [2, 10, 12, 20, 32])
def test_every_group_gets_a_colour_of_its_own(n: int) -> None:
    colours = group_style.colours(n)
    assert len(colours) == n and len(set(colours)) == n


def test_twelve_groups_never_pair_neighbours_in_shades_of_one_hue() -> None:
    from matplotlib import colormaps

    tab20 = [tuple(c) for c in colormaps["tab20"].colors]
    colours = group_style.colours(12)
    # tab20 in order gives groups 1 and 2 dark and light blue; here they are blue and orange.
    assert colours[:10] == [tuple(c) for c in colormaps["tab10"].colors]
    assert colours[10:] == [tab20[1], tab20[3]]  # the light shades come last, dashed
    assert group_style.line_styles(12) == ["-"] * 10 + ["--"] * 2


def test_long_labels_break_between_their_parts() -> None:
    label = "actor_lr=0.0019, critic_lr=0.0019, agent.gamma=0.9988, tau=0.009044, noise=none"
    wrapped = group_style.wrap_label(label)
    lines = ["actor_lr=0.0019, critic_lr=0.0019,", "agent.gamma=0.9988, tau=0.009044, noise=none"]
    assert wrapped == "\n".join(lines)
    assert wrapped.replace("\n", " ") == label
    assert group_style.wrap_label("running") == "running"


def legend_fits(fig) -> tuple[list[str], bool]:
    """The legends' entries (lines joined) and whether every legend lies inside the figure."""
    fig.draw_without_rendering()  # runs the constrained layout
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    texts = [t.get_text().replace("\n", " ") for legend in legends for t in legend.get_texts()]
    inside = all(fig.bbox.contains(*legend.get_window_extent().p0) for legend in legends)
    inside &= all(fig.bbox.contains(*legend.get_window_extent().p1) for legend in legends)
    return texts, inside


def test_a_search_legend_of_long_labels_shows_every_label_whole() -> None:
    rng = np.random.default_rng(0)
    labels = [
        f"actor_lr={lr:.4g}, critic_lr={lr:.4g}, agent.gamma=0.9988, tau={tau:.4g}, "
        f"noise=gaussian, sigma=0.3, reward_norm.gamma=0.9988"
        for lr, tau in zip(10 ** rng.uniform(-5, -3, 32), rng.uniform(1e-3, 0.05, 32), strict=True)
    ]
    steps = np.linspace(0.0, 2000.0, 11)
    band = Band(steps, -steps, -steps - 1, -steps + 1, 1, 0)
    fig = learning_curves_figure(dict.fromkeys(labels, band), "eval/return_mean")
    texts, inside = legend_fits(fig)
    assert texts == [f"{label} (n=1)" for label in labels] and inside
    ax = fig.axes[0]
    assert ax.get_position().width * fig.get_figwidth() > 5.0  # the axes were not squeezed away


def test_sensitivity_legends_show_whole() -> None:
    table = pd.DataFrame(
        {
            "agent.actor_lr": [1e-4, 1e-3] * 6,
            "agent.tau": np.repeat([0.001, 0.005, 0.01], 4),
            "reward_norm.name": ["episode_return", "episode_return", "running", "running"] * 3,
            "mean": np.arange(12.0),
        }
    ).assign(mean_ci_low=np.nan, mean_ci_high=np.nan)
    fig = sensitivity_figure(table, ["agent.actor_lr", "agent.tau", "reward_norm.name"], "auc")
    texts, inside = legend_fits(fig)
    assert "tau=0.001, reward_norm=episode_return" in texts and inside
    assert "actor_lr=1e-4, reward_norm=episode_return" in texts
