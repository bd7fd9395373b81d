"""Check in a real browser what TensorBoard shows of a sweep: compare's bands, HParams, run names.

    pip install -e '.[browser]'; apt-get install chromium   # Playwright drives Debian's Chromium
    python experiments/tensorboard_view/check.py             # a tiny sweep of its own (~1 min)
    python experiments/tensorboard_view/check.py --sweep D   # an existing sweep, compared anew

It trains a 2 x 2 sweep (actor_lr x tau) of 2 seeds each for 300 steps (`+experiment=smoke`, the
population launcher), runs `python -m ddpg.compare` on it, starts `tensorboard --logdir` on a
free port and opens, in headless Chromium through Playwright:
  (a) Custom Scalars: compare's margin chart draws one band per group;
  (b) HParams' parallel coordinates view draws one line per run, though no run solved the env
      (issue 21: an empty "steps to solve" metric blanked the whole view);
  (c) Time Series: each run's swept values (its name before `,job<n>`) are in sight in the run list.
It saves a screenshot of each view (`--shots`, default this folder) and exits 0, or 1 with one
line naming the check that failed (2: something needed is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent
SWEEP = [
    "+experiment=smoke",
    "agent.actor_lr=1e-4,1e-3",
    "agent.tau=0.001,0.005",
    "seed=0,1",
    "hydra/launcher=population",
]
VIEWPORT = {"width": 1280, "height": 720}
TIMEOUT_S = 60.0  # for TensorBoard to load the runs and for a view to draw them


class CheckFailed(Exception):
    """A view does not show what it should; the message says what it shows instead."""


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


def poll(read: Callable[[], object], want: object, what: str) -> None:
    """Wait until `read()` returns `want` (a view draws asynchronously); else fail naming it."""
    deadline = time.monotonic() + TIMEOUT_S
    got = read()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.5)
        got = read()
    if got != want and isinstance(got, list) and isinstance(want, list):
        missing = [w for w in want if w not in got]
        raise CheckFailed(f"{what}: {len(got)} of {len(want)}, not {missing[0]!r} ...")
    if got != want:
        raise CheckFailed(f"{what}: {got}, expected {want}")


def save(png: bytes, path: Path) -> Path:
    """Write a screenshot as a small PNG (a 64-colour palette: flat UI colours survive it)."""
    from PIL import Image  # Pillow comes with matplotlib

    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(64).save(path, optimize=True)
    return path


def custom_scalars(page: Page, url: str, groups: int, shots: Path) -> None:
    """(a) compare's margin chart: one filled CI band per group, its card matching them all."""
    page.goto(f"{url}/#custom_scalars")
    card = page.locator("tf-custom-scalar-margin-chart-card")
    poll(card.count, 1, "margin charts on Custom Scalars")
    card.scroll_into_view_if_needed()
    card.locator("paper-icon-button[icon=fullscreen]").click()  # a wide chart for the picture

    def bands() -> int:
        areas = card.locator("path.area").evaluate_all(
            "els => els.filter(e => (e.getAttribute('d') || '').length > 20).length"
        )
        return int(areas)

    poll(bands, groups, "CI bands drawn in the margin chart")
    poll(lambda: card.get_by_text(f"Matches ({groups})").count(), 1, "the chart's 'Matches'")
    page.wait_for_timeout(1000)
    save(card.screenshot(), shots / "custom_scalars.png")


def parallel_coordinates(page: Page, url: str, runs: int, shots: Path) -> None:
    """(b) HParams' parallel coordinates: a line through every axis for each run."""
    page.goto(f"{url}/#hparams")
    page.get_by_text("PARALLEL COORDINATES VIEW").click()
    plot = page.locator("tf-hparams-parallel-coords-plot")

    def lines() -> int:
        axes = plot.locator(".axis-parent").count()
        drawn = plot.locator(".foreground path").evaluate_all(
            """(els, axes) => els.filter(e => !e.classList.contains('invisible-path')
                && ((e.getAttribute('d') || '').match(/[ML]/g) || []).length === axes).length""",
            axes,
        )
        return int(drawn)

    poll(lines, runs, "runs drawn as lines across every axis in HParams' parallel coordinates")
    page.wait_for_timeout(1000)
    save(page.screenshot(), shots / "hparams_parallel_coordinates.png")


def time_series(page: Page, url: str, names: list[str], shots: Path) -> None:
    """(c) Time Series: the swept values of every run's name (all before `,job<n>`) are in
    sight in the run list: the last of them is what the browser draws at its place on screen,
    neither cut by the list's column nor scrolled away sideways."""
    page.goto(f"{url}/#timeseries")
    cells = page.locator("runs-data-table .table-column-run .cell")
    wanted = [[name, name.rsplit(",job", 1)[0]] for name in names]

    def shown() -> list[str]:
        return sorted(
            cells.evaluate_all(
                """(els, wanted) => els.flatMap(e => {
                    const text = e.textContent.trim();
                    const match = wanted.find(w => w[0] === text);
                    const node = [...e.childNodes].find(n => n.nodeType === 3
                        && n.textContent.includes(text));
                    if (!match || !node) return [];
                    e.scrollIntoView({block: 'center'});
                    const end = node.textContent.indexOf(text) + match[1].length;
                    const range = document.createRange();
                    range.setStart(node, end - 1);
                    range.setEnd(node, end);
                    const r = range.getBoundingClientRect();
                    const hit = document.elementFromPoint(r.left + r.width / 2,
                                                          r.top + r.height / 2);
                    return hit && (hit === e || e.contains(hit)) ? [text] : [];
                })""",
                wanted,
            )
        )

    poll(shown, names, "runs whose swept values are in sight in Time Series' run list")
    page.locator("runs-data-table").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(2000)
    save(page.screenshot(), shots / "time_series.png")


def check(sweep: Path, shots: Path) -> str:
    """Run (a), (b) and (c) on a compared sweep; returns a line saying what was seen."""
    from playwright.sync_api import sync_playwright

    groups = sorted(p.name for p in (sweep / "compare" / "tb").iterdir())
    jobs = [p.parent for p in sweep.glob("*/summary.json") if p.with_name("tb").is_dir()]
    runs = sorted(f"{job.name}/tb" for job in jobs)
    with open(sweep / "compare.csv", newline="") as f:
        solved = sum(float(row["frac_ever_solved"] or 0) > 0 for row in csv.DictReader(f))
    chromium = shutil.which("chromium")
    if chromium is None:
        raise Missing("no chromium on PATH (apt-get install chromium)")
    shots.mkdir(parents=True, exist_ok=True)
    with tensorboard(sweep, len(runs) + len(groups)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)
        custom_scalars(page, url, len(groups), shots)
        parallel_coordinates(page, url, len(runs), shots)
        time_series(page, url, runs, shots)
        browser.close()
    return (
        f"ok: {len(groups)} bands in Custom Scalars, {len(runs)} lines in HParams' parallel "
        f"coordinates ({solved} of {len(groups)} groups ever solved), {len(runs)} runs' values "
        f"in sight in Time Series; screenshots in {shots}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, help="a finished sweep to check (default: train one)")
    parser.add_argument("--shots", type=Path, default=HERE, help="where the screenshots go")
    args = parser.parse_args(argv)
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("error: playwright is not installed (pip install -e '.[browser]')", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tensorboard_view_") as tmp:
        try:
            sweep = args.sweep or Path(tmp) / "sweep"
            if args.sweep is None:
                make_sweep(sweep)
            elif not (sweep / "multirun.yaml").is_file():
                raise Missing(f"{sweep} is not a sweep (no multirun.yaml)")
            compare(sweep)
            print(check(sweep, args.shots))
        except Missing as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except CheckFailed as error:
            print(f"check failed: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
