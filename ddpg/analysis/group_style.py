"""How compare's plots tell groups apart: distinct colours, line styles, faint bands, and a
legend beside the axes that fits whole.

Twelve groups drawn from tab20 in order paired each group with its neighbour in light and dark
shades of one hue, and a legend of long labels (a search's trials, every value in 17 digits) was
cut at the figure's edge. Here every group gets a colour of its own and the figure grows to hold
its legends, whose labels break at their ``, `` separators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Characters per legend line; longer labels break between their ``key=value`` parts.
LABEL_WIDTH = 44
#: A legend taller than this (inches) is set in more columns.
MAX_LEGEND_HEIGHT = 9.0
#: Room (inches) left of and below the axes for tick labels, axis labels and the title.
MARGIN_WIDTH, MARGIN_HEIGHT = 1.1, 0.9


def colours(n: int) -> list[tuple[float, ...]]:
    """`n` distinct colours: tab10's; past 10, tab20's ten dark shades then its ten light ones
    (so neighbours never share a hue); past 20, a perceptual colormap (turbo) sampled evenly."""
    from matplotlib import colormaps

    if n <= 10:
        return [tuple(c) for c in colormaps["tab10"].colors[:n]]  # type: ignore[attr-defined]
    if n <= 20:
        tab20 = colormaps["tab20"].colors  # type: ignore[attr-defined]
        return [tuple(c) for c in [*tab20[0::2], *tab20[1::2]][:n]]
    return [tuple(c) for c in colormaps["turbo"](np.linspace(0.05, 0.95, n))]


def line_styles(n: int) -> list[str]:
    """Solid for the first ten groups, then dashed, dotted, dash-dotted by tens: a light shade
    past the tenth group is also told apart by its line."""
    return [("-", "--", ":", "-.")[i // 10 % 4] for i in range(n)]


def band_alpha(n: int) -> float:
    """Opacity of a CI band: fainter the more groups overlap."""
    return 0.15 if n <= 3 else 0.08 if n <= 10 else 0.05


def wrap_label(label: str, width: int = LABEL_WIDTH) -> str:
    """`label` broken after its ``, `` separators into lines of about `width` characters; a
    ``key=value`` part is never split."""
    lines: list[str] = []
    line = ""
    for part in label.split(", "):
        if line and len(line) + 2 + len(part) > width:
            lines.append(f"{line},")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return "\n".join([*lines, line])


def legends_beside(fig: Any, axes: Sequence[Any], axes_size: tuple[float, float]) -> None:
    """Put each axes' legend to its right and size `fig` so that every legend shows whole.

    The axes are one column (``fig.subplots(n, 1)``); each row is as tall as the taller of its
    axes (`axes_size`, inches) and its legend, and the figure as wide as the axes plus the
    widest legend. Legend entries are the artists' labels, wrapped by :func:`wrap_label`.
    """
    heights, widths = [], [0.0]
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        height = 0.0
        if handles:
            legend = _legend(ax, handles, labels, ncols=1)
            width, height = _size_inches(fig, legend)
            if height > MAX_LEGEND_HEIGHT:  # long lists run into columns
                ncols = math.ceil(height / MAX_LEGEND_HEIGHT)
                legend = _legend(ax, handles, labels, ncols=ncols)
                width, height = _size_inches(fig, legend)
            widths.append(width)
        heights.append(max(axes_size[1], height))
    if len(axes) > 1:
        axes[0].get_gridspec().set_height_ratios(heights)
    fig.set_size_inches(
        axes_size[0] + max(widths) + MARGIN_WIDTH, sum(heights) + MARGIN_HEIGHT * len(axes)
    )


def _legend(ax: Any, handles: list[Any], labels: list[str], ncols: int) -> Any:
    wrapped = [wrap_label(label) for label in labels]
    return ax.legend(
        handles,
        wrapped,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        ncols=ncols,
    )


def _size_inches(fig: Any, artist: Any) -> tuple[float, float]:
    """An artist's rendered width and height in inches (independent of the layout)."""
    box = artist.get_window_extent()  # drawn by the figure's own renderer
    return box.width / fig.dpi + 0.1, box.height / fig.dpi
