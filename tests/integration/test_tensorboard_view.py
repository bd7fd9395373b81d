"""experiments/tensorboard_view/check.py: TensorBoard in a real browser shows the sweep as issue 21
asks (compare's bands, HParams lines with no run solved, run names with their values)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "experiments" / "tensorboard_view" / "check.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright is not installed (pip install -e '.[browser]')",
    ),
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="no chromium on PATH (Debian: apt-get install chromium)",
    ),
]


def test_tensorboard_shows_bands_hparams_lines_and_run_values(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(CHECK), "--shots", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 4 bands in Custom Scalars, 8 lines"), result.stdout
    for name in ("custom_scalars.png", "hparams_parallel_coordinates.png", "time_series.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_a_folder_that_is_not_a_sweep_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(CHECK), "--sweep", str(tmp_path), "--shots", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path} is not a sweep (no multirun.yaml)\n"
    assert list(tmp_path.iterdir()) == []
