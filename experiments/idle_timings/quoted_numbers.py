"""The timings README.md quotes, from the files run.sh wrote here: times.txt (/usr/bin/time of
each command and the CPU the whole machine spent meanwhile), walkthrough_run.txt (the closing
block `python -m ddpg.run seed=0` printed), evaluate.txt and video.txt (what ddpg.evaluate
printed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

COMMIT = "c3c779f"
TIME_LINE = re.compile(
    r"(?P<name>\w+): (?P<wall>[\d.]+) s wall, (?P<user>[\d.]+) s user, (?P<sys>[\d.]+) s sys"
    r"(, machine busy (?P<busy>[\d.]+) s)?"
)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system CPU of the command and its children
    other: float | None  # CPU seconds the rest of the machine spent meanwhile (None: not read)

    @property
    def other_share(self) -> float:
        """Other load as a share of one core over the command's wall time (0 when not read)."""
        return 0.0 if self.other is None else self.other / self.wall


def read_times(path: Path) -> dict[str, Timing]:
    times = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = TIME_LINE.fullmatch(line.strip())
        if match is None:
            raise ValueError(f"{path}: unreadable line {line!r}")
        cpu = float(match["user"]) + float(match["sys"])
        other = None if match["busy"] is None else max(float(match["busy"]) - cpu, 0.0)
        times[match["name"]] = Timing(float(match["wall"]), cpu, other)
    return times


def _closing_block(folder: Path) -> tuple[str, dict[str, str]]:
    """The printed closing block, its run folder shown as `outputs/runs/<date>_<time>_...`."""
    text = (folder / "walkthrough_run.txt").read_text().rstrip("\n")
    path = re.search(r"^Run completed: (\S+)$", text, re.M)
    if path is None:
        raise ValueError("walkthrough_run.txt: no 'Run completed' line")
    shown = text.replace(path[1], "outputs/runs/<date>_<time>_pendulum_seed0")
    fields = dict(re.findall(r"^  (final eval|solved|time)\s+(.+)$", text, re.M))
    return shown, fields


def walkthrough_text(times: dict[str, Timing], folder: Path) -> str:
    run, evaluate = times["walkthrough_run"], times["walkthrough_evaluate"]
    _, fields = _closing_block(folder)
    train = re.match(r"([\d.]+) s, (\d+) env steps/s", fields["time"])
    assert train is not None
    return (
        f"On the idle 2-core machine (commit {COMMIT}) the command took {run.wall:.0f} s: "
        f"{float(train[1]):.0f} s of training on one CPU thread at {train[2]} env steps/s, the "
        "rest TensorFlow's start-up and the first compile of the step. A first `make run` adds "
        f"{times['make_venv'].wall:.0f} s for the install (downloads included). Evaluating the "
        f"run (step 3) took {evaluate.wall:.0f} s."
    )


def run_block(folder: Path) -> str:
    shown, _ = _closing_block(folder)
    return f"```\n{shown}\n```"


def video_text(times: dict[str, Timing], folder: Path) -> str:
    line = re.search(
        r"video\s+1\s+(\d+) frames drawn in ([\d.]+) s, written in ([\d.]+) s",
        (folder / "video.txt").read_text(),
    )
    if line is None:
        raise ValueError("video.txt: no 'video 1' line")
    return (
        f"`video   1  {line[1]} frames drawn in {line[2]} s, written in {line[3]} s`: one "
        "1,000-step HalfCheetah-v5 episode on the idle 2-core machine (commit "
        f"{COMMIT}), EGL on Mesa's llvmpipe; the whole `episodes=1 video=true` command took "
        f"{times['halfcheetah_video'].wall:.0f} s."
    )


def sweep_text(times: dict[str, Timing]) -> str:
    pop, job = times["sweep_population"], times["sweep_joblib"]
    return (
        f"the 36-job sweep took {pop.wall:.0f} s as two populations against {job.wall:.0f} s as "
        f"36 processes ({job.wall / pop.wall:.1f}x shorter; CPU {pop.cpu:.0f} s against "
        f"{job.cpu:.0f} s), at commit {COMMIT}, one after the other on the idle 2-core machine"
    )


def table(times: dict[str, Timing]) -> str:
    rows = [
        "| command | wall | CPU (user + sys) | other load meanwhile |",
        "| --- | --- | --- | --- |",
    ]
    for name, t in times.items():
        other = (
            "not read"
            if t.other is None
            else f"{t.other:.1f} CPU s ({t.other_share:.1%} of a core)"
        )
        rows.append(f"| `{name}` | {t.wall:.1f} s | {t.cpu:.1f} s | {other} |")
    worst = max(times.items(), key=lambda item: item[1].other_share)
    rows += [
        "",
        f"The most other load beside any command: {worst[1].other_share:.1%} of one core "
        f"(`{worst[0]}`).",
    ]
    return "\n".join(rows)


def blocks(folder: Path) -> dict[str, str]:
    times = read_times(folder / "times.txt")
    return {
        "table": table(times),
        "walkthrough": walkthrough_text(times, folder),
        "run_block": run_block(folder),
        "video": video_text(times, folder),
        "sweep": sweep_text(times),
    }
