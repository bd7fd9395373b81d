"""What the terminal says when a run or a sweep ends: one short block, then the next commands.

A run ends with its directory, status, final and best evaluation, steps to solve, wall time and
speed, and how to look at it (TensorBoard, ddpg.evaluate). A sweep ends with one line per job
(status, final eval) and the ddpg.compare command for it (:class:`SweepReportCallback`, a Hydra
callback in conf/hydra/default.yaml); a sweep whose jobs made no folder leaves none behind. One that
is interrupted names the `resume=` command that continues it. Reads only summary.json files: no
TensorFlow.
"""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ddpg.launch.job import read_summary

#: Statuses of a run that resume= continues from its last checkpoint.
RESUMABLE = ("interrupted",)


def _number(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def resume_argument(folder: Path) -> str:
    """`resume=<folder>` as one shell word that Hydra reads back as `folder`.

    A job folder's name holds `=` (`alr=1e-4 tau=0.001 s=0 job7`), which Hydra's override
    grammar refuses unquoted, so such a path is quoted for Hydra too (in double quotes, a quote
    and the backslashes before one escaped, its grammar's rule), then for the shell:
    `'resume="<sweep>/alr=1e-4 tau=0.001 s=0 job7"'`.
    """
    path = str(folder)
    try:
        (plain,) = OverridesParser.create().parse_overrides([f"resume={path}"])
        if not plain.is_sweep_override() and plain.value() == path:
            return f"resume={shlex.quote(path)}"
    except HydraException:
        pass
    escaped = re.sub(r'(\\*)("|$)', lambda m: m[1] * 2 + ('\\"' if m[2] else ""), path)
    return shlex.quote(f'resume="{escaped}"')


def run_report(run_dir: Path, summary: dict[str, Any]) -> str:
    """The closing block of one run, from its summary.json record."""
    where = shlex.quote(str(run_dir))
    final = summary.get("final_eval_return")
    std = summary.get("final_eval_std")
    final_text = "-" if final is None else f"{final:.1f} +- {_number(std)}"
    solved_score = summary.get("solved_score")
    if summary.get("steps_to_solve") is not None:
        solved = f"at env step {summary['steps_to_solve']} (eval >= {solved_score:g})"
    elif solved_score is None:
        solved = "no solved score for this env"
    else:
        solved = f"not reached (eval >= {solved_score:g})"
    lines = [
        f"Run {summary.get('status', 'unknown')}: {run_dir}",
        f"  final eval   {final_text} (at env step {summary.get('env_steps', '-')})",
        f"  best eval    {_number(summary.get('best_eval_return'))}",
        f"  solved       {solved}",
        f"  time         {_number(summary.get('wall_time_s'))} s, "
        f"{_number(summary.get('steps_per_sec'), 0)} env steps/s",
    ]
    if summary.get("error"):
        lines.append(f"  error        {summary['error']}")
    lines.append("Next:")
    if summary.get("status") in RESUMABLE:
        resume = resume_argument(run_dir)
        lines.append(f"  python -m ddpg.run {resume}   # continue from its checkpoint")
    lines += [f"  tensorboard --logdir {where}", f"  python -m ddpg.evaluate run_dir={where}"]
    return "\n".join(lines)


def interrupted_line(stopped: Path, resume: Path | None = None) -> str:
    """The line for a run, population or sweep stopped by Ctrl-C or SIGTERM: what stopped, and
    the command that continues it from its checkpoints (`resume`: a folder holding `stopped`,
    such as its sweep's, to continue with it)."""
    where = resume_argument(stopped if resume is None else resume)
    return f"interrupted: {stopped}; continue with: python -m ddpg.run {where}"


def _natural(path: Path) -> tuple[float, list[Any]]:
    """Job order: by the job number a sweep's folder ends with (`... job10` after `... job2`,
    ddpg.launch.job_names; `,job10` in sweeps named before spaces), else numbers in the name
    compare as numbers (seed2 before seed10)."""
    job = re.search(r"(?:^|[ ,])job(\d+)$", path.name)
    parts = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]
    return (int(job[1]) if job else math.inf, parts)


def sweep_report(sweep_dir: Path, what: str = "Sweep") -> str:
    """One line per job of the sweep (status, final eval), then the compare command."""
    jobs = sorted((p.parent for p in sweep_dir.glob("*/summary.json")), key=_natural)
    width = max((len(p.name) for p in jobs), default=3)
    lines = [f"{what} finished: {sweep_dir} ({len(jobs)} jobs)"]
    lines.append(f"  {'job':<{width}}  {'status':<13}  final eval")
    resumable = 0
    for job in jobs:
        summary = read_summary(job / "summary.json") or {"status": "unreadable"}
        final = summary.get("final_eval_return")
        resumable += summary.get("status") in RESUMABLE
        lines.append(f"  {job.name:<{width}}  {summary.get('status', '?'):<13}  {_number(final)}")
    where = shlex.quote(str(sweep_dir))
    lines.append("Next:")
    if resumable:
        resume = resume_argument(sweep_dir)
        lines.append(f"  python -m ddpg.run {resume}   # continue the interrupted jobs")
    lines += [f"  python -m ddpg.compare {where}", f"  tensorboard --logdir {where}"]
    return "\n".join(lines)


class SweepReportCallback(Callback):
    """Prints :func:`sweep_report` once every job of a sweep has ended (any launcher).

    A sweep whose jobs made no folder (each a `resume=` with nothing to do, which says so) left
    only the sweeper's multirun.yaml: that folder is removed instead of reported on, with the
    empty folders made for it, so a resume that changes nothing leaves nothing behind.
    """

    def __init__(self) -> None:
        self.new_folder: Path | None = None  # the outermost folder the sweep folder added

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        folder = Path(str(config.hydra.sweep.dir)).absolute()  # ${now:} resolves once, cached
        while not folder.parent.exists():
            folder = folder.parent
        self.new_folder = None if folder.exists() else folder

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if [p.name for p in sweep_dir.glob("*")] == ["multirun.yaml"] and self.new_folder:
            (sweep_dir / "multirun.yaml").unlink()
            folder = sweep_dir.absolute()
            while folder == self.new_folder or self.new_folder in folder.parents:
                try:
                    folder.rmdir()  # the sweep's own folder, then those made for it, if empty
                except OSError:
                    return  # another sweep started beside it meanwhile
                folder = folder.parent
        elif sweep_dir.is_dir():
            print(sweep_report(sweep_dir), flush=True)
