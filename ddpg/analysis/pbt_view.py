"""compare's view of a population-based training study: pbt.md, pbt_schedule.png, pbt_lineage.png.

- ``pbt.md``: the final ranking, the winner's schedule, revivals, problems
  (:mod:`ddpg.analysis.pbt_markdown`).
- ``pbt_schedule.png``: the winner's hyperparameters against env steps, one subplot per
  dimension, as step functions (each value holds until the next change, the last until the
  budget); the other members faint behind it. A dimension whose values are all positive and
  that names a rate (``lr``, ``rate``) or spans a factor of 10 or more (tau, 1 - gamma as
  ``ddpg_members`` searches them) is drawn on a log axis; a categorical on its choices.
- ``pbt_lineage.png``: members are rows and env steps run along x; each copy is an arrow from
  the source's row to the copier's row at its step (gid ``"copy"``); a revival (the copier had
  diverged and was held until that round) is a dashed red arrow (gid ``"revival"``), with a
  cross where its update went non-finite and a dotted line over the steps it was held; the
  legend names each revival ("member02 revived after divergence at step 450"); each row's
  final rank and eval sit at the right.

With several studies among compare's inputs, pbt.md holds one section each and the pictures
are named after the study folder (``pbt_schedule_<folder>.png``). Drawn with matplotlib's
Figure (no pyplot state), imported only when there is a study.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ddpg.analysis.pbt_markdown import study_markdown
from ddpg.analysis.pbt_records import Copy, Study, dimensions, find_studies
from ddpg.analysis.plots import save_png

MARKDOWN_FILE = "pbt.md"
SCHEDULE_PLOT = "pbt_schedule.png"
LINEAGE_PLOT = "pbt_lineage.png"
WINNER_COLOR = "tab:blue"
ARROW_COLOR = "tab:orange"
REVIVAL_COLOR = "tab:red"


def _is_log(name: str, values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) < len(values) or min(numbers) <= 0:
        return False
    rate = "lr" in name.split(".")[-1].split("_") or "rate" in name
    return rate or max(numbers) / min(numbers) >= 10


def _series(
    schedule: list[tuple[float, dict[str, Any]]], dim: str, budget: float, codes: dict[Any, int]
) -> tuple[list[float], list[float]]:
    """A member's values of `dim` as step-function points, held to the budget; NaN where the
    dimension is not set (a conditional one), a categorical as the index of its choice."""
    steps = [step for step, _ in schedule]
    values = [p.get(dim) for _, p in schedule]
    ys = [math.nan if v is None else float(codes.get(v, v)) for v in values]
    end = budget if math.isfinite(budget) and budget > steps[-1] else steps[-1]
    return [*steps, end], [*ys, ys[-1]]


def schedule_figure(study: Study) -> Any:
    """pbt_schedule.png's figure (None when the winner's schedule is unreadable or sets
    nothing); the winner's line in each subplot has gid ``"winner"``, the others ``"member"``."""
    from matplotlib.figure import Figure

    winner = study.ranking()[0]
    dims = dimensions(study)
    if winner.schedule is None or not dims:
        return None
    fig = Figure(figsize=(8, 1.9 * len(dims) + 0.8), layout="constrained")
    axes = fig.subplots(len(dims), 1, sharex=True, squeeze=False)[:, 0]
    members = [m for m in study.members if m.schedule is not None and m is not winner]
    for ax, dim in zip(axes, dims, strict=True):
        values = [p.get(dim) for m in [*members, winner] for _, p in m.schedule or []]
        values = [v for v in values if v is not None]
        choices = list(dict.fromkeys(v for v in values if isinstance(v, str | bool)))
        codes = {c: i for i, c in enumerate(choices)}
        for m in members:
            xs, ys = _series(m.schedule or [], dim, study.budget, codes)
            ax.step(xs, ys, where="post", color="gray", alpha=0.3, lw=1, gid="member")
        xs, ys = _series(winner.schedule, dim, study.budget, codes)
        ax.step(xs, ys, where="post", color=WINNER_COLOR, lw=2.2, gid="winner", label=winner.name)
        if choices:
            ax.set_yticks(range(len(choices)), [str(c) for c in choices])
        elif _is_log(dim, values):
            ax.set_yscale("log")
        ax.set_ylabel(dim)
        ax.grid(alpha=0.3)
    axes[0].set_title(
        f"{study.folder.name}: winner {winner.name} ({winner.final_eval:.1f}); other members faint"
    )
    axes[-1].set_xlabel("environment steps")
    return fig


def _step(step: float) -> str:
    return f"{int(step):,}" if float(step).is_integer() else f"{step:g}"


def revival_label(member: str, copy: Copy) -> str:
    """A revival's legend entry."""
    return f"{member} revived after divergence at step {_step(copy.diverged_at or 0.0)}"


def lineage_figure(study: Study) -> Any:
    """pbt_lineage.png's figure: one FancyArrowPatch per copy read from the lineages (gid
    ``"copy"``, or ``"revival"`` drawn dashed in red), and a legend entry per revival."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    names = [m.name for m in study.members]
    row = {name: i for i, name in enumerate(names)}
    copies = [(m, c) for m in study.members for c in m.copies or []]
    end = study.budget if math.isfinite(study.budget) else max([c.step for _, c in copies] or [1])
    fig = Figure(figsize=(9, 0.55 * len(names) + 1.6), layout="constrained")
    ax = fig.subplots()
    ax.hlines(range(len(names)), 0, end, color="lightgray", lw=3, zorder=1)
    for m, c in copies:
        if c.source not in row:  # a source outside the compared members: nothing to point from
            continue
        color = REVIVAL_COLOR if c.is_revival else ARROW_COLOR
        arrow = FancyArrowPatch(
            (c.step, row[c.source]),
            (c.step, row[m.name]),
            arrowstyle="-|>",
            mutation_scale=14,
            color=color,
            linestyle="--" if c.is_revival else "-",
            lw=1.6,
            shrinkA=2,
            shrinkB=4,
            zorder=3,
            gid="revival" if c.is_revival else "copy",
        )
        ax.add_patch(arrow)
        ax.plot([c.step], [row[c.source]], "o", color=color, ms=4, zorder=3)
    exploit = Line2D([], [], color=ARROW_COLOR, lw=1.6, label="copy at a round (exploit)")
    handles = [exploit]
    for m, c in study.revivals():  # drawn on the member's own row, whatever it copied
        held = [c.diverged_at or 0.0, c.step]
        ax.plot(held, [row[m.name]] * 2, ":", color=REVIVAL_COLOR, lw=2, zorder=2)
        ax.plot(held[:1], [row[m.name]], "X", color=REVIVAL_COLOR, ms=8, zorder=4, gid="divergence")
        label = revival_label(m.name, c)
        handles.append(Line2D([], [], color=REVIVAL_COLOR, ls="--", marker="X", label=label))
    for rank, m in enumerate(study.ranking(), start=1):
        final = f"{m.final_eval:.1f}" if math.isfinite(m.final_eval) else m.status
        bold = "bold" if rank == 1 else "normal"
        ax.text(end * 1.02, row[m.name], f"#{rank}  {final}", va="center", fontweight=bold)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)  # member00 on top
    ax.set_xlim(0, end * 1.18)
    ax.set(xlabel="environment steps", title=f"{study.folder.name}: who copied whom")
    ax.text(1.0, 1.01, "final rank, eval", transform=ax.transAxes, ha="right", va="bottom")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2))
    return fig


def write_pbt_views(runs: pd.DataFrame, out: Path) -> list[Path]:
    """Write pbt.md and the two pictures for every PBT study among compare's `runs` (columns
    ``run_dir``, ``final_eval_return``, ``status``, ``budget``); returns the written paths
    (none when there is no study)."""
    studies = find_studies(runs)
    if not studies:
        return []
    written = [out / MARKDOWN_FILE]
    written[0].write_text("\n".join(study_markdown(s) for s in studies))
    for study in studies:
        suffix = f"_{study.folder.name}" if len(studies) > 1 else ""
        for name, figure in ((SCHEDULE_PLOT, schedule_figure), (LINEAGE_PLOT, lineage_figure)):
            fig = figure(study)
            if fig is not None:
                path = out / name.replace(".png", f"{suffix}.png")
                written.append(save_png(fig, path))
    return written
