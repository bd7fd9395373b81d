"""pbt.md's markdown for one PBT study (ddpg.analysis.pbt_records reads it): the final ranking,
the winner's schedule, its revivals and the problems found reading its records.
"""

from __future__ import annotations

import math
from typing import Any

from ddpg.analysis.pbt_records import Study, dimensions


def _step(step: float) -> str:
    return str(int(step)) if float(step).is_integer() else f"{step:g}"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def study_markdown(study: Study) -> str:
    """pbt.md's section for one study: ranking, the winner's schedule, revivals, problems."""
    ranking = study.ranking()
    rows = [
        [
            str(rank),
            m.name,
            f"{m.final_eval:.1f}" if math.isfinite(m.final_eval) else "-",
            m.status,
            m.copies_of(revivals=False),
            str(study.times_copied(m.name)),
            str(int(m.divergences)) if math.isfinite(m.divergences) else "-",
            m.copies_of(revivals=True),
        ]
        for rank, m in enumerate(ranking, start=1)
    ]
    header = ["rank", "member", "final eval", "status", "copied others", "copied by others"]
    header += ["divergences", "revived"]
    text = f"# Population-based training: {study.folder}\n\n## Final ranking\n\n"
    text += _table(header, rows) + "\n\n"
    text += (
        "`copied others`: the times the member copied another's weights at a round (its "
        "lineage.json); `copied by others`: the times other members copied it; `divergences`: "
        "its updates that went non-finite (summary.json; `-`: not recorded); `revived`: the "
        "times it was then held and copied a top member at the next round (see Revivals).\n\n"
    )
    winner = ranking[0] if ranking and math.isfinite(ranking[0].final_eval) else None
    if winner is None:
        text += "## The winner's schedule\n\nNo member has a final eval.\n\n"
    elif winner.schedule is None:
        text += f"## The winner's schedule ({winner.name})\n\nUnreadable: see Problems.\n\n"
    else:
        dims = dimensions(study)
        sched = [[_step(step), *(_value(p.get(d)) for d in dims)] for step, p in winner.schedule]
        text += f"## The winner's schedule ({winner.name})\n\n"
        text += "The values in effect from each env step on (`-`: not set).\n\n"
        text += _table(["step", *dims], sched) + "\n\n"
    text += _revivals_markdown(study)
    text += "## Problems\n\n"
    text += "".join(f"- {p}\n" for p in study.problems) or "None.\n"
    return text


def _revivals_markdown(study: Study) -> str:
    """pbt.md's Revivals: each revival's member, divergence, error and the member it copied."""
    revivals = study.revivals()
    if not revivals:
        return "## Revivals\n\nNone: no member diverged and was revived.\n\n"
    rows = [
        [m.name, _step(c.diverged_at or 0.0), _step(c.step), c.source, _cell(c.error)]
        for m, c in revivals
    ]
    header = ["member", "diverged at", "revived at", "copied", "error"]
    return "## Revivals\n\n" + _table(header, rows) + "\n\n"


def _cell(text: str) -> str:
    """`text` in one markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "-"
