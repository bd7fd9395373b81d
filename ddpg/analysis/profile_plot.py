"""The performance-profile plot of a comparison across tasks, performance_profiles.png.

As in Agarwal et al. (2021), Fig. 5 (``rliable.plot_utils.plot_performance_profiles``): for
each setting, the fraction of runs whose normalized score exceeds tau, against tau, with its
stratified-bootstrap band. A curve above another everywhere dominates it stochastically.
Matplotlib draws through its Agg canvas, never through pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ddpg.analysis.plots import save_png

Profile = tuple[np.ndarray, np.ndarray, np.ndarray]  # fraction, low, high, each [T]


def save_performance_profiles(
    taus: np.ndarray, profiles: Mapping[str, Profile], path: Path, title: str
) -> Path:
    """Draw each setting's profile with its band and write the PNG atomically.

    Args:
        taus: The thresholds, ``[T]``, on the normalized scale.
        profiles: Setting label -> (fraction above tau, band low, band high).
        path: Where to write the PNG.
        title: The figure title (what was normalized, over how many tasks).

    Returns:
        `path`.
    """
    from matplotlib.figure import Figure

    from ddpg.analysis.group_style import band_alpha, colours, legends_beside, line_styles

    fig = Figure(layout="constrained")
    ax = fig.subplots()
    n = len(profiles)
    styles = zip(profiles.items(), colours(n), line_styles(n), strict=True)
    for (label, (fraction, low, high)), colour, style in styles:
        ax.plot(taus, fraction, color=colour, ls=style, label=label)
        ax.fill_between(taus, low, high, color=colour, alpha=band_alpha(n), lw=0)
    for x, name, side in ((0.0, "random", "left"), (1.0, "reference", "right")):
        ax.axvline(x, color="gray", ls=":", lw=1)
        shift = 3 if side == "left" else -3  # inside the axes, at the foot of the line
        ax.annotate(
            name, (x, 0.0), xytext=(shift, 4), textcoords="offset points", ha=side, color="gray"
        )
    ax.set(
        xlabel=r"normalized score $\tau$ (0: random policy, 1: reference)",
        ylabel=r"fraction of runs with score > $\tau$",
        ylim=(-0.02, 1.02),
        title=title,
    )
    ax.grid(alpha=0.3)
    legends_beside(fig, [ax], (7.0, 4.2))
    return save_png(fig, path)
