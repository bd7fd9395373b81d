"""Tests for ddpg.analysis.pbt_records: a PBT study's ranking, copy counts, winner's schedule
and problems, read from hand-written member folders."""

from __future__ import annotations

import json
from pathlib import Path

from ddpg.analysis.compare import compare, load_runs
from ddpg.analysis.pbt_markdown import study_markdown
from ddpg.analysis.pbt_records import Copy, find_studies

from .pbt_study import DIVERGED_AT, ERROR, REVIVED_AT, add_revival, write_study
from .rundirs import write_run


def test_ranking_and_copy_counts(tmp_path: Path) -> None:
    (study,) = find_studies(load_runs(write_study(tmp_path / "study")))
    assert study.folder == tmp_path / "study" and study.budget == 1200
    ranking = study.ranking()
    assert [m.name for m in ranking] == ["member01", "member02", "member00"]
    assert [m.final_eval for m in ranking] == [-200.0, -250.0, -300.0]
    assert [len(m.copies or []) for m in ranking] == [2, 0, 1]
    assert [study.times_copied(m.name) for m in ranking] == [1, 2, 0]
    assert study.problems == []
    text = study_markdown(study)
    assert "| 1 | member01 | -200.0 | completed | 2 | 1 |" in text
    assert "| 2 | member02 | -250.0 | completed | 0 | 2 |" in text
    assert "| 3 | member00 | -300.0 | completed | 1 | 0 |" in text


def test_plain_runs_are_no_study(tmp_path: Path) -> None:
    write_run(tmp_path / "a", [(1000, -300.0)])
    assert find_studies(load_runs(tmp_path)) == []


def test_a_damaged_lineage_is_one_problem_line_and_nothing_crashes(tmp_path: Path) -> None:
    study_dir = write_study(tmp_path / "study")
    damaged = study_dir / "member00" / "lineage.json"
    damaged.write_text("{not json")
    text, written = compare([study_dir], out=tmp_path / "out")
    assert tmp_path / "out" / "pbt.md" in written
    pbt = (tmp_path / "out" / "pbt.md").read_text()
    problems = pbt.split("## Problems\n\n", 1)[1].strip().splitlines()
    assert len(problems) == 1 and problems[0].startswith(f"- {damaged}: ")
    # Its own copies are unknown; member01 is no longer counted as copied by it.
    assert "| 3 | member00 | -300.0 | completed | ? | 0 |" in pbt
    assert "| 1 | member01 | -200.0 | completed | 2 | 0 |" in pbt


def test_a_malformed_schedule_is_one_problem_line(tmp_path: Path) -> None:
    study_dir = write_study(tmp_path / "study")
    bad = study_dir / "member01" / "schedule.json"
    bad.write_text('{"member": 1, "schedule": [{"params": {}}]}')
    (study,) = find_studies(load_runs(study_dir))
    assert len(study.problems) == 1 and study.problems[0].startswith(f"{bad}: ")
    assert "## The winner's schedule (member01)\n\nUnreadable: see Problems." in (
        study_markdown(study)
    )


def test_a_revival_is_counted_apart_from_the_copies_at_rounds(tmp_path: Path) -> None:
    study_dir = add_revival(write_study(tmp_path / "study"))
    (study,) = find_studies(load_runs(study_dir))
    member02 = next(m for m in study.members if m.name == "member02")
    assert member02.copies == [Copy(REVIVED_AT, "member01", DIVERGED_AT, ERROR)]
    assert member02.copies[0].is_revival and member02.divergences == 1
    others = [c for m in study.members if m is not member02 for c in m.copies or []]
    assert others and not any(c.is_revival for c in others)
    assert [(m.name, c.step) for m, c in study.revivals()] == [("member02", REVIVED_AT)]
    compare([study_dir], out=tmp_path / "out")
    pbt = (tmp_path / "out" / "pbt.md").read_text()
    assert "| copied others | copied by others | divergences | revived |" in pbt
    # member02 copied no one at a round and was revived once; member01 was copied by member00
    # and by the revival; summaries without a count show "-".
    assert "| 2 | member02 | -250.0 | completed | 0 | 2 | 1 | 1 |" in pbt
    assert "| 1 | member01 | -200.0 | completed | 2 | 2 | - | 0 |" in pbt
    assert "| 3 | member00 | -300.0 | completed | 1 | 0 | - | 0 |" in pbt
    revivals = pbt.split("## Revivals\n\n", 1)[1].split("## Problems", 1)[0]
    assert f"| member02 | 450 | 600 | member01 | {ERROR} |" in revivals
    assert pbt.split("## Problems\n\n")[1] == "None.\n"


def test_a_malformed_revival_is_one_problem_line(tmp_path: Path) -> None:
    study_dir = add_revival(write_study(tmp_path / "study"))
    bad = study_dir / "member02" / "lineage.json"
    copy = {"step": 600, "source": 1, "source_run": "member01", "revives": {"error": "x"}}
    bad.write_text(json.dumps({"member": 2, "copies": [copy]}))
    (study,) = find_studies(load_runs(study_dir))
    assert study.problems == [f"{bad}: a copy's 'revives' has no numeric 'diverged_at'"]
    assert "| 2 | member02 | -250.0 | completed | ? | 2 | 1 | ? |" in study_markdown(study)
