"""A population-based training study as compare sees it: its members' schedules, copies and
final ranking (pbt.md's markdown is ddpg.analysis.pbt_markdown's).

A PBT study (``python -m ddpg.tune tune.algorithm=pbt``) is the folder holding run folders that
carry ``schedule.json`` (``{"member": k, "schedule": [{"step", "params", "overrides"}, ...]}``)
or ``lineage.json`` (``{"member": k, "copies": [{"source", "source_run", "step"}, ...]}``);
members are named by their folder (``member03``) and a copy's source by ``source_run``. A copy
with ``"revives": {"diverged_at", "error"}`` is a revival (the member diverged then, was held
and copied a top member at this round: ddpg.tune.pbt), any other an exploit; summary.json's
``divergences`` counts every divergence, revived or not. The ranking is by final eval return
(summary.json, as the study ranks them; members without one last, ties by name). A damaged or
malformed schedule.json or lineage.json is one line under Problems naming the file; the member
is still ranked, its unknown counts shown as ``?``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ddpg.storage.files import read_json_object

SCHEDULE_FILE = "schedule.json"
LINEAGE_FILE = "lineage.json"


@dataclass(frozen=True)
class Copy:
    """At env step `step` the member copied the member named `source`: a revival when
    `diverged_at` is set (held since it diverged then; `error`: why), else an exploit."""

    step: float
    source: str
    diverged_at: float | None = None
    error: str = ""

    @property
    def is_revival(self) -> bool:
        return self.diverged_at is not None


@dataclass
class Member:
    """One member's records; ``schedule``/``copies`` are None where the file is damaged."""

    name: str
    final_eval: float
    status: str
    schedule: list[tuple[float, dict[str, Any]]] | None
    copies: list[Copy] | None
    divergences: float = math.nan  # summary.json's count (NaN: a summary without one)

    def copies_of(self, revivals: bool) -> str:
        """How many of its copies are revivals (else exploits), ``?`` if unreadable."""
        if self.copies is None:
            return "?"
        return str(sum(c.is_revival == revivals for c in self.copies))


@dataclass
class Study:
    """A PBT study's folder, members (folder order), step budget and problems found."""

    folder: Path
    members: list[Member]
    budget: float
    problems: list[str] = field(default_factory=list)

    def ranking(self) -> list[Member]:
        """Members best first by final eval; members without a finite one last, by name."""
        finite = [m for m in self.members if math.isfinite(m.final_eval)]
        rest = [m for m in self.members if not math.isfinite(m.final_eval)]
        return sorted(finite, key=lambda m: (-m.final_eval, m.name)) + sorted(
            rest, key=lambda m: m.name
        )

    def times_copied(self, name: str) -> int:
        """How often other members copied `name`, revivals included (counted from the readable
        lineages)."""
        return sum(c.source == name for m in self.members for c in m.copies or [])

    def revivals(self) -> list[tuple[Member, Copy]]:
        """Every revival in the readable lineages, by member then step."""
        return [(m, c) for m in self.members for c in m.copies or [] if c.is_revival]


def is_member(run_dir: Path) -> bool:
    """Whether a run folder is a PBT member (it has schedule.json or lineage.json)."""
    return (run_dir / SCHEDULE_FILE).exists() or (run_dir / LINEAGE_FILE).exists()


def _steps(items: Any, path: Path, what: str) -> list[dict[str, Any]]:
    """`items` as a list of objects each with a numeric ``step``, else ValueError naming path."""
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("step"), int | float) for i in items
    ):
        raise ValueError(f"{path}: {what!r} is not a list of entries with a numeric 'step'")
    return items


def read_schedule(path: Path) -> list[tuple[float, dict[str, Any]]]:
    """schedule.json's entries as (step, params) in step order.

    Raises:
        ValueError: The file is unreadable or malformed; the message starts with the path.
    """
    entries = _steps(read_json_object(path).get("schedule"), path, "schedule")
    if not entries:
        raise ValueError(f"{path}: the schedule is empty (it starts at step 0)")
    if not all(isinstance(e.get("params"), dict) for e in entries):
        raise ValueError(f"{path}: a schedule entry has no 'params' object")
    return sorted(((float(e["step"]), dict(e["params"])) for e in entries), key=lambda e: e[0])


def read_lineage(path: Path) -> list[Copy]:
    """lineage.json's copies in step order.

    Raises:
        ValueError: The file is unreadable or malformed; the message starts with the path.
    """
    copies = _steps(read_json_object(path).get("copies"), path, "copies")
    if not all(isinstance(c.get("source_run"), str) for c in copies):
        raise ValueError(f"{path}: a copy has no 'source_run' folder name")
    return sorted((_copy(c, path) for c in copies), key=lambda c: c.step)


def _copy(entry: dict[str, Any], path: Path) -> Copy:
    """One lineage entry (``step`` and ``source_run`` checked) as a Copy."""
    revives = entry.get("revives")
    if revives is None:
        return Copy(float(entry["step"]), entry["source_run"])
    if not isinstance(revives, dict) or not isinstance(revives.get("diverged_at"), int | float):
        raise ValueError(f"{path}: a copy's 'revives' has no numeric 'diverged_at'")
    error = str(revives.get("error") or "")
    return Copy(float(entry["step"]), entry["source_run"], float(revives["diverged_at"]), error)


def _read(reader: Any, path: Path, problems: list[str]) -> Any:
    if not path.exists():
        problems.append(f"{path}: missing")
        return None
    try:
        return reader(path)
    except ValueError as error:
        problems.append(str(error))
        return None


def find_studies(runs: pd.DataFrame) -> list[Study]:
    """The PBT studies among compare's runs (columns ``run_dir``, ``final_eval_return``,
    ``status``, ``budget``, ``divergences``): the folders holding members, in the runs'
    order."""
    by_folder: dict[Path, list[int]] = {}
    for i, run_dir in enumerate(map(Path, runs["run_dir"])):
        if is_member(run_dir):
            by_folder.setdefault(run_dir.parent, []).append(i)
    studies = []
    for folder, rows in by_folder.items():
        problems: list[str] = []
        members = []
        for i in rows:
            run_dir = Path(runs["run_dir"].iloc[i])
            final, diverged = (
                pd.to_numeric(runs[column].iloc[i], errors="coerce")
                for column in ("final_eval_return", "divergences")
            )
            members.append(
                Member(
                    name=run_dir.name,
                    final_eval=float(final) if pd.notna(final) else math.nan,
                    status=str(runs["status"].iloc[i]),
                    schedule=_read(read_schedule, run_dir / SCHEDULE_FILE, problems),
                    copies=_read(read_lineage, run_dir / LINEAGE_FILE, problems),
                    divergences=float(diverged) if pd.notna(diverged) else math.nan,
                )
            )
        budgets = pd.to_numeric(runs["budget"].iloc[rows], errors="coerce").dropna()
        budget = float(budgets.max()) if len(budgets) else math.nan
        studies.append(Study(folder, sorted(members, key=lambda m: m.name), budget, problems))
    return studies


def dimensions(study: Study) -> list[str]:
    """Every hyperparameter some member's schedule sets, sorted by name."""
    return sorted({k for m in study.members for _, p in m.schedule or [] for k in p})
