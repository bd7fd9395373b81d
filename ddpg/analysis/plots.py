"""The score plots: a run's returns.png (training episode returns, their EMA and eval means)
and compare's learning_curves.png (each group's mean eval curve with its CI band).

returns.png is read from `<run_dir>/scalars.csv` (long format `step,key,value`, x-axis = env
step), with the env id, seed and solved score from `params.json`. Runs headless: matplotlib
draws through its Agg canvas and never touches pyplot's global state.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, NamedTuple

PLOT_FILE = "returns.png"
RETURN_KEY = "train/episode_return"
EMA_KEY = "train/episode_return_ema"
EVAL_MEAN_KEY = "eval/return_mean"
EVAL_STD_KEY = "eval/return_std"

Series = tuple[list[float], list[float]]  # (env steps, values)
#: Size (inches) of learning_curves.png's axes; the figure adds its legend's width.
AXES_SIZE = (7.0, 4.2)


def read_series(path: Path, keys: Collection[str]) -> dict[str, Series]:
    """Steps and values of each key in a long-format scalars.csv, in step order.

    A resumed run appends rows from its checkpoint step on; those replace the rows that the
    interrupted run had logged from that step on, so each series stays a function of the step.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: A row is not `step,key,value` with numeric step and value.
    """
    series: dict[str, Series] = {key: ([], []) for key in keys}
    with open(path, newline="") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if line == 1 and row == ["step", "key", "value"]:
                continue
            if len(row) != 3:
                raise ValueError(f"{path}:{line}: expected step,key,value, got {row!r}")
            if row[1] not in series:
                continue
            try:
                step, value = float(row[0]), float(row[2])
            except ValueError:
                raise ValueError(f"{path}:{line}: non-numeric step or value in {row!r}") from None
            steps, values = series[row[1]]
            while steps and steps[-1] >= step:  # a rewind: drop what the new rows replace
                steps.pop()
                values.pop()
            steps.append(step)
            values.append(value)
    return series


def _run_info(run_dir: Path) -> dict[str, Any]:
    """params.json (dotted keys); {} when missing or unreadable: the plot is still useful."""
    try:
        params = json.loads((run_dir / "params.json").read_text())
    except (OSError, ValueError):
        return {}
    return params if isinstance(params, dict) else {}


def save_returns_plot(run_dir: Path) -> Path:
    """Write `<run_dir>/returns.png` from the run's scalars.csv and return its path.

    Training episode returns (faint) and their EMA (bold) over env steps, the deterministic
    eval means with +- one std error bars, and the env's solved score as a dashed line.
    The file is replaced atomically, so a viewer never sees half a PNG.

    Args:
        run_dir: A run directory holding scalars.csv (params.json is optional).

    Returns:
        The path of the written PNG.

    Raises:
        FileNotFoundError: The run has no scalars.csv.
        ValueError: scalars.csv is malformed (the message names the line).
    """
    from matplotlib.figure import Figure  # lazily: matplotlib costs ~0.5 s to import

    run_dir = Path(run_dir)
    series = read_series(
        run_dir / "scalars.csv", (RETURN_KEY, EMA_KEY, EVAL_MEAN_KEY, EVAL_STD_KEY)
    )
    params = _run_info(run_dir)
    # Figure without pyplot: no backend switch, no global figure list (safe inside a notebook
    # or a process that trains several runs); savefig renders through the Agg canvas.
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    steps, returns = series[RETURN_KEY]
    if steps:
        ax.plot(
            steps, returns, ".-", color="tab:blue", alpha=0.3, lw=0.8, ms=3, label="episode return"
        )
    steps, ema = series[EMA_KEY]
    if steps:
        ax.plot(steps, ema, color="tab:blue", lw=2, label="episode return EMA")
    eval_steps, eval_means = series[EVAL_MEAN_KEY]
    if eval_steps:
        stds = dict(zip(*series[EVAL_STD_KEY], strict=True))
        ax.errorbar(
            eval_steps,
            eval_means,
            yerr=[stds.get(s, 0.0) for s in eval_steps],
            fmt="o-",
            color="tab:orange",
            lw=1.5,
            ms=5,
            capsize=3,
            label="eval mean +- std",
        )
    solved = params.get("env.solved_score")
    if isinstance(solved, int | float) and math.isfinite(solved):
        ax.axhline(solved, color="tab:green", ls="--", lw=1, label=f"solved ({solved:g})")
    if not (series[RETURN_KEY][0] or eval_steps):
        ax.text(
            0.5,
            0.5,
            "no episode finished yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="gray",
        )
    env_id = params.get("env.id", "unknown env")
    seed = params.get("seed", "?")
    ax.set(title=f"{env_id}, seed {seed}", xlabel="environment steps", ylabel="episode return")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return save_png(fig, run_dir / PLOT_FILE)


def save_png(fig: Any, path: Path) -> Path:
    """Render `fig` to `path` atomically, so a viewer never sees half a PNG."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, format="png", dpi=120)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class Band(NamedTuple):
    """One group's learning curve: mean and CI of the mean over its counted runs, per step."""

    steps: Any  # [P] env steps
    mean: Any  # [P]
    low: Any  # [P] NaN where fewer than two runs have data
    high: Any  # [P]
    n_runs: int
    n_diverged: int
    n: Any = None  # [P] runs with data at each step (fewer past a shorter run's budget)


def _n_range(n: Any) -> str:
    """``"5"``, or ``"2-5"`` for a curve whose number of runs changes along the way."""
    low, high = int(min(n)), int(max(n))
    return f"{high}" if low == high else f"{low}-{high}"


def _mark_n_changes(ax: Any, band: Band, colour: Any) -> None:
    """Label the curve with ``n=<runs>`` wherever the number of runs with data changes, so a
    group mixing budgets shows where its shorter runs stop counting."""
    if band.n is None:
        return
    n = [int(v) for v in band.n]
    for i in range(1, len(n)):
        if n[i] != n[i - 1]:
            ax.axvline(band.steps[i], color=colour, ls=":", lw=0.8)
            ax.annotate(
                f"n={n[i]}",
                (band.steps[i], band.mean[i]),
                xytext=(3, 6),
                textcoords="offset points",
                color=colour,
                fontsize="small",
            )


def save_learning_curves(bands: Mapping[str, Band], path: Path, ylabel: str) -> Path:
    """Draw :func:`learning_curves_figure` and write the PNG atomically; returns `path`."""
    return save_png(learning_curves_figure(bands, ylabel), path)


def learning_curves_figure(bands: Mapping[str, Band], ylabel: str) -> Any:
    """Each group's mean curve with its CI band, as a matplotlib Figure.

    The statistics come computed (``ddpg.compare.learning_curve_bands``: the same CI of the
    mean as the table); this only draws. Each group has a colour of its own and faint bands
    (:mod:`ddpg.analysis.group_style`); the legend, beside the axes and whole, gives each
    group's counted and diverged runs, so a curve that includes diverged runs says so; where
    the number of runs with data changes along a curve (``Band.n``), a dotted line and
    ``n=<runs>`` mark it.

    Args:
        bands: Group label -> its band, drawn in the mapping's order.
        ylabel: The y-axis label (the scalar's key).
    """
    from matplotlib.figure import Figure

    from ddpg.analysis.group_style import band_alpha, colours, legends_beside, line_styles

    fig = Figure(layout="constrained")
    ax = fig.subplots()
    n = len(bands)
    alpha = band_alpha(n)
    for (label, band), colour, style in zip(bands.items(), colours(n), line_styles(n), strict=True):
        diverged = f", {band.n_diverged} diverged" if band.n_diverged else ""
        runs = f"{band.n_runs}" if band.n is None else _n_range(band.n)
        label = f"{label} (n={runs}{diverged})"
        ax.plot(band.steps, band.mean, color=colour, ls=style, label=label)
        ax.fill_between(band.steps, band.low, band.high, color=colour, alpha=alpha, lw=0)
        _mark_n_changes(ax, band, colour)
    title = f"{ylabel}: mean and 95% CI over runs (diverged runs counted)"
    ax.set(xlabel="environment steps", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    legends_beside(fig, [ax], AXES_SIZE)  # beside the axes, so no curve hides behind it
    return fig
