"""The sweep the browser check looks at, and a TensorBoard serving it (tensorboard_view/check.py).

`make_sweep` trains the tiny 2 x 2 x 2-seed smoke sweep, `compare` runs `python -m ddpg.compare`
on it (its group curves under compare/tb), and `tensorboard` serves the folder on a free port
until every run is listed. A command that fails, or a TensorBoard that never lists the runs,
raises :class:`Missing` with one line saying so.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SWEEP = [
    "+experiment=smoke",
    "agent.actor_lr=1e-4,1e-3",
    "agent.tau=0.001,0.005",
    "seed=0,1",
    "hydra/launcher=population",
]
TIMEOUT_S = 60.0  # for TensorBoard to load the runs


class Missing(Exception):
    """Something the check needs (Chromium, Playwright, a sweep, a command) is not there."""


def make_sweep(sweep: Path) -> None:
    """Train the tiny sweep into `sweep` (its jobs' folders, tb/ and summaries)."""
    command = [sys.executable, "-m", "ddpg.run", "-m", *SWEEP, f"hydra.sweep.dir={sweep}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise Missing(f"the sweep failed (exit {result.returncode}): {last_line(result.stderr)}")


def compare(sweep: Path) -> None:
    """`python -m ddpg.compare <sweep>`: the group curves under compare/tb."""
    command = [sys.executable, "-m", "ddpg.compare", str(sweep)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise Missing(f"ddpg.compare failed (exit {result.returncode}): {last_line(result.stderr)}")


def last_line(text: str) -> str:
    """A command's last line of error output: what it says went wrong, in one line."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def tensorboard(logdir: Path, runs: int) -> Iterator[str]:
    """A TensorBoard serving `logdir`, once it lists `runs` runs; yields its address."""
    port = free_port()
    command = [sys.executable, "-m", "tensorboard.main", f"--logdir={logdir}"]
    command += [f"--port={port}", "--host=127.0.0.1", "--reload_interval=1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + TIMEOUT_S
        listed: list[str] = []
        while len(listed) < runs:
            if process.poll() is not None or time.monotonic() > deadline:
                raise Missing(f"TensorBoard listed {len(listed)} of {runs} runs at {url}")
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(f"{url}/data/runs", timeout=5) as response,
            ):
                listed = json.load(response)
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
