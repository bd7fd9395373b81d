"""Tests for ddpg.analysis.pbt_markdown: pbt.md's winner's schedule and revivals sections,
from hand-written member folders."""

from __future__ import annotations

from pathlib import Path

from ddpg.analysis.compare import load_runs
from ddpg.analysis.pbt_markdown import study_markdown
from ddpg.analysis.pbt_records import find_studies

from .pbt_study import write_study


def test_the_winners_schedule_is_a_table_of_step_and_values(tmp_path: Path) -> None:
    (study,) = find_studies(load_runs(write_study(tmp_path / "study")))
    text = study_markdown(study)
    assert "## The winner's schedule (member01)" in text
    assert "| step | agent.tau | learning_rate | noise |" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 0 |", "| 300 |", "| 900 |"))]
    assert rows == [
        "| 0 | 0.005 | 0.0002 | none |",
        "| 300 | 0.004 | 1e-05 | gaussian |",
        "| 900 | 0.004 | 1.25e-05 | ou |",
    ]


def test_a_study_without_revivals_says_so(tmp_path: Path) -> None:
    (study,) = find_studies(load_runs(write_study(tmp_path / "study")))
    assert study.revivals() == []
    assert "## Revivals\n\nNone: no member diverged and was revived." in study_markdown(study)
