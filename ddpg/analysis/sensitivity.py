"""compare's sensitivity.png: the groups' score against each swept numeric key.

A sweep over lr x tau x reward_norm asks how the score depends on each setting. One subplot per
numeric key with two values or more puts that key's values on the x-axis (log-scaled for rates:
a key named ``lr``, ``learning_rate`` or ``*_lr``, or values spanning a factor of 10 or more)
and the table's score with its interval on the y-axis, one line per combination of the other keys'
values: "which tau, for which reward_norm" is one look. Lines at the same x are shifted apart a
little so their intervals do not hide each other; the ticks sit at the swept values.

Where no combination of the other keys occurs twice (a search's trials, each with its own
values), there are no lines to draw: each group is a point, coloured by the other keys that are
not numeric. The numbers are compare.csv's; this only draws. Matplotlib draws through its Agg
canvas, never through pyplot's global state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ddpg.analysis.grouping import named_values, short_names, sort_key, value_labels
from ddpg.analysis.intervals import LEVEL
from ddpg.analysis.plots import save_png

SENSITIVITY_FILE = "sensitivity.png"
#: Size (inches) of each subplot's axes; the figure adds the widest legend.
AXES_SIZE = (6.0, 3.0)
#: Ticks are put at the swept values up to this many (more: matplotlib's own ticks).
MAX_TICKS = 8
#: Lines at one x spread over this fraction of the gap between neighbouring values.
DODGE = 0.3
RATE_WORDS = ("lr", "learning_rate")


def score_columns(metric: str) -> tuple[str, str, str]:
    """compare.csv's (score, interval low, interval high) for the ranking `metric`."""
    if metric == "peak_of_mean_curve":
        return "peak_of_mean_curve", "peak_ci_low", "peak_ci_high"
    return "mean", "mean_ci_low", "mean_ci_high"


def score_name(metric: str) -> str:
    """The y-axis' words for the score of `metric`."""
    if metric == "peak_of_mean_curve":
        return "peak of the mean eval/return_mean curve"
    return f"mean {metric}"


def numeric_keys(table: pd.DataFrame, keys: list[str]) -> list[str]:
    """The keys whose values in `table` are numbers (not booleans), two distinct or more."""
    return [k for k in keys if _numeric(table[k]) and table[k].nunique() >= 2]


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def log_scale(key: str, values: pd.Series) -> bool:
    """Whether `key` is drawn on a log axis: a rate by name, or positive values spanning a
    factor of 10 or more."""
    if (values <= 0).any():
        return False
    last = key.rsplit(".", 1)[-1]
    rate = any(last == w or last.endswith(f"_{w}") for w in RATE_WORDS)
    return bool(rate or values.max() / values.min() >= 10)


def sensitivity_figure(table: pd.DataFrame, keys: list[str], metric: str) -> Any | None:
    """The score (with its interval) against each swept numeric key, as a matplotlib Figure.

    Args:
        table: compare's table (:func:`ddpg.analysis.table.summarize`), the key columns raw.
        keys: The grouping keys.
        metric: The metric the table ranks by (its score columns: :func:`score_columns`).

    Returns:
        One subplot per numeric key with two values or more, in `keys` order; None if no key
        is such (nothing to draw).
    """
    from matplotlib.figure import Figure

    from ddpg.analysis.group_style import legends_beside

    value = score_columns(metric)[0]
    rows = table[table[value].notna()] if value in table else table.iloc[:0]
    swept = numeric_keys(rows, keys)
    if not swept:
        return None
    fig = Figure(layout="constrained")
    axes = fig.subplots(len(swept), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, swept, strict=True):
        _draw(ax, rows[rows[key].notna()], key, [k for k in keys if k != key], metric)
    fig.suptitle(f"{score_name(metric)} of each group, with its {LEVEL:.0%} CI")
    legends_beside(fig, list(axes), AXES_SIZE)
    return fig


def save_sensitivity(table: pd.DataFrame, keys: list[str], metric: str, path: Path) -> Path | None:
    """Write :func:`sensitivity_figure` to `path` atomically; None (nothing written, an older
    file at `path` removed) when the sweep has no numeric key with two values or more."""
    fig = sensitivity_figure(table, keys, metric)
    if fig is None:
        path.unlink(missing_ok=True)  # a sensitivity.png of an earlier comparison is not this one's
        return None
    return save_png(fig, path)


def _labels(rows: pd.DataFrame, keys: list[str]) -> list[str]:
    """Each row's ``key=value, ...`` over `keys` (every key named, even one alone)."""
    return named_values(rows, keys) if keys else ["each group"] * len(rows)


def _by(rows: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """`rows` split by their values of `keys`, in the order of those values."""
    split = [(str(label), g) for label, g in rows.groupby(_labels(rows, keys), sort=False)]
    return sorted(split, key=lambda item: [sort_key(v) for v in item[1][keys].iloc[0]])


def _series(rows: pd.DataFrame, others: list[str]) -> tuple[list[tuple[str, pd.DataFrame]], bool]:
    """The lines to draw (label, rows) and whether they connect points: one per combination of
    the other keys; if none has two points, one per combination of the non-numeric ones."""
    lines = _by(rows, others)
    if any(len(g) > 1 for _, g in lines):
        return lines, True
    return _by(rows, [k for k in others if not _numeric(rows[k])]), False


def _draw(ax: Any, rows: pd.DataFrame, key: str, others: list[str], metric: str) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from ddpg.analysis.group_style import colours

    value, low, high = score_columns(metric)
    log = log_scale(key, rows[key])
    to_axis, from_axis = (np.log10, lambda p: 10.0**p) if log else (np.asarray, np.asarray)
    ticks = np.unique(rows[key].to_numpy(float))
    gap = float(np.diff(to_axis(ticks)).min())
    series, connect = _series(rows, others)
    n = len(series)
    for i, ((label, g), colour) in enumerate(zip(series, colours(n), strict=True)):
        g = g.sort_values(key)
        shift = (i - (n - 1) / 2) * DODGE * gap / n if connect else 0.0
        x = from_axis(to_axis(g[key].to_numpy(float)) + shift)
        y = g[value].to_numpy(float)
        # A group of one run has no interval (NaN): its point stands without a bar.
        below, above = y - g[low].to_numpy(float), g[high].to_numpy(float) - y
        fmt = "o-" if connect else "o"
        ax.errorbar(x, y, yerr=[below, above], fmt=fmt, color=colour, ms=4, capsize=3, label=label)
    if log:
        ax.set_xscale("log")
    if len(ticks) <= MAX_TICKS:
        ax.set_xticks(ticks, value_labels(ticks.tolist()))
    else:  # matplotlib's ticks, written as the values are
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: value_labels([x])[0]))
    ax.xaxis.set_minor_formatter(NullFormatter())  # a short log axis labels its minor ticks too
    name = short_names([key, *others])[0]
    how = "" if connect else " (each point a group; the other numeric keys vary)"
    ax.set(xlabel=f"{name}{' (log scale)' if log else ''}", ylabel=score_name(metric))
    ax.set_title(f"against {name}{how}", fontsize="medium")
    ax.grid(alpha=0.3)
