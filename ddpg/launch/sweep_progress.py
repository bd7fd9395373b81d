"""A sweep's populations while they train, shown in the launcher's terminal.

Each population's child keeps its progress in a status file beside its log
(ddpg.launch.sweep.progress_path, written by ddpg.population.progress). While the launcher waits
for its children (or for SLURM: the files are on the shared file system) it reads them: on a
terminal, one tqdm bar per running population, each on its own line (`position`); elsewhere (a
file, a pipe), one whole line per running population every LINE_EVERY_S seconds, never a
carriage return. Each shows env steps of the budget, members running/done/diverged, the best and
median latest eval, steps/s and the time left. When a population starts, the path of its log is
printed once; when it ends, one line from its members' summaries. Reads JSON only: the launcher
never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from tqdm import tqdm

REFRESH_S = 1.0  # how often the status files are read while the launcher waits
LINE_EVERY_S = 30.0  # redirected output: one line per running population this often
DONE = ("completed", "stopped_early", "pruned")
_BAR = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} steps{postfix}"  # postfix: ", ..."


def _number(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1f}"


def read_status(path: Path) -> dict[str, Any] | None:
    """The population's latest progress; None before its child has written any (or while the
    file is unreadable: it is replaced atomically, so that is a file system's hiccup)."""
    try:
        status = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) and "step" in status else None


def status_text(status: dict[str, Any]) -> str:
    """Members by status, best and median eval, steps/s and time left, as one short text."""
    text = (
        f"running {status.get('running', 0)}, done {status.get('done', 0)}, "
        f"diverged {status.get('diverged', 0)}, best {_number(status.get('best'))}, "
        f"median {_number(status.get('median'))}"
    )
    rate, left = status.get("steps_per_s"), status["total_steps"] - status["step"]
    if rate and status.get("running") and not status.get("finished"):
        text += f", {rate:.0f} steps/s, {tqdm.format_interval(left / rate)} left"
    return text


def end_text(summaries: Sequence[dict[str, Any]]) -> str:
    """How a population's members ended, from their summary.json records."""
    statuses = [s.get("status") for s in summaries]
    finals = [s.get("final_eval_return") for s in summaries]
    evals = [f for f in finals if isinstance(f, int | float) and math.isfinite(f)]
    steps = max((s.get("env_steps") or 0 for s in summaries), default=0)
    text = (
        f"ended at env step {steps}: done {sum(x in DONE for x in statuses)}, "
        f"diverged {statuses.count('diverged')}"
    )
    for other in ("interrupted", "failed"):
        if other in statuses:
            text += f", {other} {statuses.count(other)}"
    best, median = (max(evals), float(np.median(evals))) if evals else (None, None)
    return f"{text}, best {_number(best)}, median {_number(median)}"


@dataclass
class _Shown:
    """One started population: where its progress is, its bar (terminal) or last line (not)."""

    name: str
    status_path: Path
    bar: Any = None  # tqdm, once the child has written its first status
    position: int = 0  # the bar's line below the cursor (tqdm's `position`)
    last_line: float = -math.inf
    status: dict[str, Any] | None = field(default=None)


class SweepProgress:
    """The running populations of a sweep, drawn from their status files.

    Args:
        stream: where to draw (stderr by default).
        line_every_s: without a terminal, how often each running population gets a line.
    """

    def __init__(self, stream: TextIO | None = None, line_every_s: float = LINE_EVERY_S) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.terminal = bool(isatty and isatty())
        self.line_every_s = line_every_s
        self.shown: dict[int, _Shown] = {}

    def started(self, key: int, name: str, members: int, log_path: Path, status_path: Path):
        """Population `key` has started (or was submitted): say where its log is, once."""
        self.shown[key] = _Shown(name, Path(status_path))
        self.write(f"{name} ({members} jobs) log: {log_path}")

    def ended(self, key: int, summaries: Sequence[dict[str, Any]]) -> None:
        """Population `key` has ended: its bar goes, one line says how its members ended."""
        shown = self.shown.pop(key, None)
        if shown is None:
            return
        if shown.bar is not None:
            shown.bar.close()
        self.write(f"{shown.name} {end_text(summaries)}")

    def refresh(self) -> None:
        """Read every running population's status and draw it (bar or, when due, a line)."""
        now = time.monotonic()
        for shown in self.shown.values():
            status = read_status(shown.status_path)
            if status is None:
                continue
            shown.status = status
            if self.terminal:
                self._draw(shown, status)
            elif now - shown.last_line >= self.line_every_s:
                shown.last_line = now
                line = f"{shown.name}: {status['step']}/{status['total_steps']} steps "
                percent = 100 * status["step"] / max(status["total_steps"], 1)
                self.write(f"{line}({percent:.0f}%), {status_text(status)}")

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, keeping the display up to date meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            self.refresh()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, REFRESH_S))

    def write(self, line: str) -> None:
        """A whole line above the bars."""
        with self.writing():
            self.stream.write(line + "\n")
            self.stream.flush()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Other output (Hydra's callbacks, error lines) goes above the bars, not through them."""
        if not self.terminal:
            yield
            return
        with tqdm.external_write_mode(file=self.stream):
            yield

    def close(self) -> None:
        """Remove every bar left (the launcher stops waiting: done, or interrupted)."""
        for shown in self.shown.values():
            if shown.bar is not None:
                shown.bar.close()
        self.shown.clear()

    def _draw(self, shown: _Shown, status: dict[str, Any]) -> None:
        if shown.bar is None:
            taken = {s.position for s in self.shown.values() if s.bar is not None}
            shown.position = next(p for p in range(len(self.shown) + 1) if p not in taken)
            shown.bar = tqdm(
                total=status["total_steps"],
                initial=status["step"],
                desc=shown.name,
                position=shown.position,
                leave=False,
                file=self.stream,
                dynamic_ncols=True,
                bar_format=_BAR,
            )
        shown.bar.n = status["step"]
        shown.bar.set_postfix_str(status_text(status))  # redraws
