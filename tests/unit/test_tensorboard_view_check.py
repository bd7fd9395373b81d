"""experiments/tensorboard_view/: the browser check's parts that need no browser (its run names,
waiting for a view, screenshots, the served sweep), and that the command starts and fails in one
line where Playwright or the sweep is missing. tests/integration/test_tensorboard_view.py runs it
in Chromium."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

FOLDER = Path(__file__).resolve().parents[2] / "experiments" / "tensorboard_view"
sys.path.insert(0, str(FOLDER))  # the check's modules import each other as siblings

import browser_views  # noqa: E402
import served_sweep  # noqa: E402


def test_the_command_starts_and_a_missing_piece_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Without Playwright it says so; with it, a folder that is not a sweep is named."""
    result = subprocess.run(
        [sys.executable, str(FOLDER / "check.py"), "--sweep", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr in (
        "error: playwright is not installed (pip install -e '.[browser]')\n",
        f"error: {tmp_path} is not a sweep (no multirun.yaml)\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("run", "values"),
    [
        ("alr=1e-4 tau=0.001 rn=running s=0 job7/tb", "alr=1e-4 tau=0.001 rn=running s=0"),
        ("alr=1e-4,tau=0.001,s=1,job12/tb", "alr=1e-4,tau=0.001,s=1"),  # named before spaces
        ("s=0 job0", "s=0"),
        ("job3/tb", "job3/tb"),  # nothing swept: the number is all there is to show
    ],
)
def test_swept_values_are_a_run_name_before_its_job_number(run: str, values: str) -> None:
    assert browser_views.swept_values(run) == values


def test_poll_waits_for_a_view_and_names_what_it_misses(monkeypatch) -> None:
    drawn = iter([[], ["a"], ["a", "b"]])
    browser_views.poll(lambda: next(drawn), ["a", "b"], "runs")  # the third read has both
    monkeypatch.setattr(browser_views, "TIMEOUT_S", 0.0)
    with pytest.raises(browser_views.CheckFailed, match=r"^runs: 1 of 2, not 'b' \.\.\.$"):
        browser_views.poll(lambda: ["a"], ["a", "b"], "runs")
    with pytest.raises(browser_views.CheckFailed, match=r"^bands: 3, expected 4$"):
        browser_views.poll(lambda: 3, 4, "bands")


def test_a_screenshot_is_saved_as_a_small_palette_png(tmp_path: Path) -> None:
    image = Image.new("RGB", (64, 32), (250, 250, 250))
    image.paste((30, 100, 200), (0, 0, 32, 32))
    png = io.BytesIO()
    image.save(png, format="PNG")
    path = browser_views.save(png.getvalue(), tmp_path / "shot.png")
    with Image.open(path) as saved:
        assert saved.mode == "P" and saved.size == (64, 32)
        assert saved.convert("RGB").getpixel((5, 5)) == (30, 100, 200)


def test_a_failed_command_is_its_last_line_of_errors(tmp_path: Path) -> None:
    assert served_sweep.last_line("Traceback ...\n  x\nerror: no runs below it\n\n") == (
        "error: no runs below it"
    )
    assert served_sweep.last_line("") == "(no output)"
    with pytest.raises(served_sweep.Missing) as raised:
        served_sweep.compare(tmp_path)  # no runs to compare
    assert str(raised.value) == (
        f"ddpg.compare failed (exit 2): compare: error: directory is empty: {tmp_path}"
    )


@pytest.mark.slow  # TensorBoard's start-up: ~15 s on the 2-core machine
def test_tensorboard_serves_the_folder_once_it_lists_every_run(tmp_path: Path) -> None:
    from ddpg.storage.tb_summaries import scalars_summary, write_event_file

    for run in ("alr=1e-4 s=0 job0", "alr=1e-3 s=0 job1"):
        write_event_file(tmp_path / run / "tb", [(scalars_summary({"eval/return_mean": 1.0}), 0)])
    with served_sweep.tensorboard(tmp_path, runs=2) as url:
        import json
        import urllib.request

        with urllib.request.urlopen(f"{url}/data/runs", timeout=5) as response:
            assert sorted(json.load(response)) == ["alr=1e-3 s=0 job1/tb", "alr=1e-4 s=0 job0/tb"]
