"""experiments/check.py: each number an experiment README quotes comes from committed files."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
spec = importlib.util.spec_from_file_location("experiments_check", EXPERIMENTS / "check.py")
assert spec is not None and spec.loader is not None
experiments_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(experiments_check)


def test_every_committed_readme_matches_its_committed_files() -> None:
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / "check.py")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _copy(study: str, tmp_path: Path) -> Path:
    shutil.copytree(EXPERIMENTS / study, tmp_path / study)
    return tmp_path / study / "README.md"


def test_a_changed_number_is_named_and_write_restores_it(tmp_path: Path) -> None:
    readme = _copy("sweep_memory", tmp_path)
    original = readme.read_text()
    readme.write_text(original.replace("| 60 | 63.9 |", "| 60 | 62.9 |"))
    problems = experiments_check.check(tmp_path)
    assert problems == [f"{readme}: block 'table' differs from what the committed files give"]
    assert experiments_check.check(tmp_path, write=True) == []
    assert readme.read_text() == original


def test_blocks_without_a_generator_and_generators_without_a_block_are_errors(
    tmp_path: Path,
) -> None:
    readme = _copy("sweep_memory", tmp_path)
    text = readme.read_text()
    readme.write_text(text + "\n<!-- computed: extra -->\n42\n<!-- end computed -->\n")
    assert experiments_check.check(tmp_path) == [
        f"{readme}: block 'extra' has no generator in quoted_numbers.py"
    ]
    start = text.index("<!-- computed: table -->")
    end = text.index("<!-- end computed -->", start) + len("<!-- end computed -->")
    readme.write_text(text[:start] + text[end:])
    assert experiments_check.check(tmp_path) == [
        f"{readme}: no block 'table' for quoted_numbers.py's table"
    ]
    (readme.parent / "quoted_numbers.py").unlink()
    readme.write_text(text)
    assert experiments_check.check(tmp_path) == [
        f"{readme}: computed blocks but no quoted_numbers.py"
    ]
