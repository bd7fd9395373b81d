"""What each TensorBoard view must show of a compared sweep, asserted in a Playwright page.

  (a) Custom Scalars: compare's margin chart draws one band per group;
  (b) HParams' parallel coordinates view draws one line per run, though no run solved the env
      (issue 21: an empty "steps to solve" metric blanked the whole view);
  (c) Time Series: each run's swept values (its name before ` job<n>`) are in sight in the run list.
Each saves a screenshot of its view, or raises :class:`CheckFailed` with one line saying what
the view shows instead. Views draw asynchronously: :func:`poll` waits for them.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

TIMEOUT_S = 60.0  # for a view to draw the runs


class CheckFailed(Exception):
    """A view does not show what it should; the message says what it shows instead."""


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


def swept_values(run: str) -> str:
    """What tells a run apart: its job folder's name before the job number, which the Time
    Series run list must show whole (`alr=1e-4 tau=0.001 s=0 job4/tb` -> `alr=1e-4 tau=0.001
    s=0`; `,job4` in folders named before spaces)."""
    return re.split(r"[ ,]job\d+(?=/|$)", run, maxsplit=1)[0]


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
    """(c) Time Series: the swept values of every run's name (:func:`swept_values`) are in
    sight in the run list: the last of them is what the browser draws at its place on screen,
    neither cut by the list's column nor scrolled away sideways."""
    page.goto(f"{url}/#timeseries")
    cells = page.locator("runs-data-table .table-column-run .cell")
    wanted = [[name, swept_values(name)] for name in names]

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
