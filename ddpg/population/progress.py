"""One progress bar per population: env steps per slot (tqdm's rate: steps/s of each member),
the aggregate steps/s of all running members, members running/done/diverged, and the best and
median latest eval; a single run shows its last eval and the EMA of its training returns.

The bar counts what the members train: the env steps of every member, those that ended and
gave their slot to another included, against what the population will train (the steps of the
members that ended, the budget of those running and of those still to start in freed slots),
both divided by the number of slots. A single run, or a population whose members all train
their budget, counts its steps to `trainer.total_steps`; a tune study whose slots take new
trials counts every trial's steps, so its bar ends at 100% and its time left is right.

Where the output is not a terminal (a log file, a pipe), the bar is never redrawn: a whole line
of the same text every LINE_EVERY_S seconds and one at the end, so redirected output carries no
carriage returns and whatever else writes there (tune's lines) starts on a line of its own.

For a launcher that waits on the population in another process, the same numbers go to a small
JSON status file (`status_path`), replaced atomically at most every STATUS_EVERY_S seconds and
once at the end: step and total_steps (the bar's, per slot), members, running, done, diverged,
best, median (null before any eval), steps_per_s (one member's, null before the first logging
window) and finished. ddpg.launch.sweep_progress draws it in the launcher's terminal.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from tqdm import tqdm

from ddpg.config.schema import TrainerConfig
from ddpg.population.train_state import TrainState
from ddpg.storage.files import write_json_atomic

LINE_EVERY_S = 30.0  # redirected output: one line this often
STATUS_EVERY_S = 1.0  # the status file: at most this often (it is fsynced)
DONE = ("completed", "stopped_early", "pruned")


class _Discard:
    """Where a bar that is only ever printed as whole lines draws itself."""

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is an interactive terminal (redrawn bars) rather than a file or pipe."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def status_counts(states: list[TrainState]) -> dict[str, Any]:
    """Members by status and the best and median of their latest evals (None before any)."""
    status = [s.status for s in states]
    evals = [s.final_eval_return for s in states if s.final_eval_return is not None]
    return {
        "members": len(states),
        "running": status.count("running"),
        "done": sum(x in DONE for x in status),
        "diverged": status.count("diverged"),
        "best": float(max(evals)) if evals else None,
        "median": float(np.median(evals)) if evals else None,
    }


def member_steps(states: list[TrainState], total_steps: int) -> tuple[int, int]:
    """The members' env steps so far, and those they will have trained when every running
    member reaches `total_steps` (an ended member counts what it trained)."""
    done = sum(s.step for s in states)
    running = [s.step for s in states if s.status == "running"]
    return done, done + sum(max(total_steps - step, 0) for step in running)


class PopulationProgress:
    """A tqdm bar over the env steps the population's members train, per slot."""

    def __init__(
        self,
        trainer: TrainerConfig,
        states: list[TrainState],
        status_path: Path | None = None,
        stream: TextIO | None = None,
        work: tuple[int, int] | None = None,
    ) -> None:
        """`work`: the members' env steps so far and in all (default: `member_steps`)."""
        stream = sys.stderr if stream is None else stream
        self.lines = not is_terminal(stream)
        self.stream, self.enabled, self.states = stream, trainer.progress, states
        self.slots, self.status_path, self._budget = len(states), status_path, trainer.total_steps
        done, total = member_steps(states, trainer.total_steps) if work is None else work
        self.step, self.total_steps = done // self.slots, total // self.slots
        self.bar = tqdm(
            total=self.total_steps,
            initial=self.step,
            unit="step",
            disable=not trainer.progress,
            file=_Discard() if self.lines else stream,  # type: ignore[arg-type]
        )
        self._clock, self._clock_step = time.perf_counter(), max(s.step for s in states)
        self._start, self._start_done = self._clock, done
        self._rate: float | None = None
        self._overall: float | None = None  # all members' steps/s over the whole run, at close
        self._last_line = self._last_status = -float("inf")
        self.show(states)

    def rate(self, step: int) -> float:
        """Env steps per second of one member since the last call (the loop's own rate)."""
        now = time.perf_counter()
        rate = (step - self._clock_step) / max(now - self._clock, 1e-9)
        self._clock, self._clock_step = now, step
        self._rate = rate
        return rate

    def update(self, done: int, total: int) -> None:
        """The members have trained `done` env steps of the `total` they will have trained."""
        self.step, self.total_steps = done // self.slots, total // self.slots
        if self.enabled:
            if self.bar.total != self.total_steps:
                self.bar.total = self.total_steps
            self.bar.update(self.step - self.bar.n)
            self._line()
        self._write_status(status_counts(self.states), finished=False)

    def show(self, states: list[TrainState]) -> None:
        """Members by status; the best and median of their latest evals."""
        counts = status_counts(states)
        values = {}
        if len(states) > 1:
            if self._overall is not None:  # at the end no member runs: the whole run's rate
                values["all_steps/s"] = f"{self._overall:.0f}"
            elif self._rate is not None:  # every running member takes each step
                values["all_steps/s"] = f"{self._rate * counts['running']:.0f}"
            for key in ("running", "done", "diverged"):
                values[key] = str(counts[key])
            for key in ("best", "median"):
                values[key] = "-" if counts[key] is None else f"{counts[key]:.1f}"
        else:
            ema, final = states[0].return_ema, counts["best"]
            values["eval"] = "-" if final is None else f"{final:.1f}"
            values["return_ema"] = "-" if ema is None else f"{ema:.1f}"
        self.bar.set_postfix(values, refresh=False)
        self._write_status(counts, finished=self._overall is not None)
        self._line()

    def close(self, states: list[TrainState], work: tuple[int, int] | None = None) -> None:
        """`work`: as in `__init__`, now (default: `member_steps`, `states` being every member)."""
        done, total = member_steps(states, self._budget) if work is None else work
        self.step, self.total_steps = done // self.slots, total // self.slots
        if self.enabled:  # the bar ends where training did
            self.bar.total = self.total_steps
            self.bar.update(self.step - self.bar.n)
        self._overall = (done - self._start_done) / max(time.perf_counter() - self._start, 1e-9)
        self._last_line = -float("inf")  # the closing line is always written
        self._last_status = -float("inf")
        self.show(states)
        self.bar.close()

    def _line(self) -> None:
        """Redirected output: the bar's text as one whole line, every LINE_EVERY_S seconds."""
        now = time.monotonic()
        if self.lines and self.enabled and now - self._last_line >= LINE_EVERY_S:
            self._last_line = now
            self.stream.write(f"{self.bar}\n")
            self.stream.flush()

    def _write_status(self, counts: dict[str, Any], finished: bool) -> None:
        now = time.monotonic()
        if self.status_path is None or now - self._last_status < STATUS_EVERY_S:
            return
        self._last_status = now
        status = {"step": self.step, "total_steps": self.total_steps, "finished": finished}
        with contextlib.suppress(OSError):  # a display aid: training never stops for it
            write_json_atomic(self.status_path, {**status, "steps_per_s": self._rate, **counts})
