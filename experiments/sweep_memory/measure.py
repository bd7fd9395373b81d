"""Measure a sequential sweep's launching process: RSS and /proc/<pid>/maps lines after each job.

    python experiments/sweep_memory/measure.py [--jobs 60] [--out DIR]
    python experiments/sweep_memory/measure.py --in-process [--jobs 60]

Default: runs ``python -m ddpg.run -m`` with Hydra's basic launcher (one job after another in
one process) over ``seed=range(N)`` of tiny jobs and samples the launcher every 0.2 s, noting
its figures as each job finishes. ``--in-process`` measures the design that ddpg.launch.sweep
replaced: the same jobs through ``ddpg.launch.job.train_run`` one after another in this process.
Linux only (reads /proc). Prints a markdown table; writes memory.csv to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "+experiment=smoke",
    "trainer.total_steps=60",
    "agent.learning_starts=32",
    "agent.batch_size=16",
    "network.actor_hidden=[16]",
    "network.critic_hidden=[16]",
]
FINAL = ("completed", "stopped_early", "diverged", "failed", "interrupted")


def sample(pid: int) -> tuple[float, int]:
    """(RSS in MiB, number of memory mappings) of process `pid`."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    maps = Path(f"/proc/{pid}/maps").read_text().count("\n")
    return rss_kib / 1024, maps


def finished_jobs(sweep_dir: Path) -> int:
    count = 0
    for path in sweep_dir.glob("*/summary.json"):
        with contextlib.suppress(OSError, ValueError):  # a summary being written: next poll
            count += json.loads(path.read_text()).get("status") in FINAL
    return count


def measure_sweep(jobs: int, sweep_dir: Path) -> list[tuple[int, float, int]]:
    """Run the sweep; one (jobs finished, RSS MiB, maps) row per finished job."""
    command = [sys.executable, "-m", "ddpg.run", "-m", *TINY, f"seed=range({jobs})"]
    command.append(f"hydra.sweep.dir={sweep_dir}")
    print("$", " ".join(command[1:]), file=sys.stderr)
    launcher = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    rows, done = [], 0
    while launcher.poll() is None:
        now_done = finished_jobs(sweep_dir)
        if now_done > done:
            try:
                rows.append((now_done, *sample(launcher.pid)))
            except (OSError, StopIteration):
                break  # the launcher is exiting
            done = now_done
        time.sleep(0.2)
    if launcher.wait() != 0:
        sys.exit(f"error: the sweep exited with {launcher.returncode}")
    return rows


def measure_in_process(jobs: int, root: Path) -> list[tuple[int, float, int]]:
    """The old design: every job's training in this one process."""
    from hydra import compose, initialize_config_dir

    from ddpg.launch.job import train_run
    from ddpg.run import to_run_config

    rows = []
    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        for seed in range(jobs):
            cfg = compose("config", overrides=[*TINY, f"seed={seed}"])
            train_run(to_run_config(cfg), root / str(seed))
            rows.append((seed + 1, *sample(os.getpid())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="where memory.csv goes")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.in_process:
            rows = measure_in_process(args.jobs, Path(tmp))
        else:
            rows = measure_sweep(args.jobs, Path(tmp) / "sweep")
    elapsed = time.perf_counter() - started
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        name = "memory_in_process.csv" if args.in_process else "memory.csv"
        with open(args.out / name, "w", newline="") as f:
            csv.writer(f).writerows([("jobs_finished", "rss_mib", "maps"), *rows])
    print(f"{len(rows)} jobs in {elapsed:.0f} s\n\n| jobs finished | RSS (MiB) | maps lines |")
    print("| --- | --- | --- |")
    for done, rss, maps in rows:
        if done in (1, 2, len(rows)) or done % 10 == 0:
            print(f"| {done} | {rss:.1f} | {maps} |")


if __name__ == "__main__":
    main()
