"""Check in a real browser what TensorBoard shows of a sweep: compare's bands, HParams, run names.

    pip install -e '.[browser]'; apt-get install chromium   # Playwright drives Debian's Chromium
    python experiments/tensorboard_view/check.py             # a tiny sweep of its own (~1 min)
    python experiments/tensorboard_view/check.py --sweep D   # an existing sweep, compared anew

It trains a 2 x 2 sweep (actor_lr x tau) of 2 seeds each for 300 steps (`+experiment=smoke`, the
population launcher), runs `python -m ddpg.compare` on it, starts `tensorboard --logdir` on a
free port (served_sweep.py) and opens, in headless Chromium through Playwright, Custom Scalars,
HParams' parallel coordinates and Time Series, each checked as browser_views.py says.
It saves a screenshot of each view (`--shots`, default this folder) and exits 0, or 1 with one
line naming the check that failed (2: something needed is missing).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from pathlib import Path

from browser_views import CheckFailed, custom_scalars, parallel_coordinates, time_series
from served_sweep import Missing, compare, make_sweep, tensorboard

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 720}


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
