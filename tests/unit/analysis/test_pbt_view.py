"""Tests for ddpg.analysis.pbt_view: the schedule and lineage pictures of a hand-written PBT
study, and the files compare writes for it."""

from __future__ import annotations

from pathlib import Path

from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch

from ddpg.analysis.compare import compare, load_runs
from ddpg.analysis.pbt_records import Study, find_studies
from ddpg.analysis.pbt_view import REVIVAL_COLOR, lineage_figure, schedule_figure, write_pbt_views

from .pbt_study import DIVERGED_AT, MEMBERS, REVIVED_AT, add_revival, write_study
from .rundirs import write_run


def _study(tmp_path: Path) -> Study:
    (study,) = find_studies(load_runs(write_study(tmp_path / "study")))
    return study


def test_schedule_has_one_subplot_per_dimension_with_the_winners_steps(tmp_path: Path) -> None:
    fig = schedule_figure(_study(tmp_path))
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes] == ["agent.tau", "learning_rate", "noise"]
    for ax in axes:
        (winner,) = [line for line in ax.lines if line.get_gid() == "winner"]
        assert winner.get_drawstyle() == "steps-post"
        # The winner (member01) changes at 300 and 900; its last value holds to the budget.
        assert list(winner.get_xdata()) == [0, 300, 900, 1200]
        assert len([line for line in ax.lines if line.get_gid() == "member"]) == 2
    lr = axes[1]
    assert lr.get_yscale() == "log"
    winner_lr = next(line for line in lr.lines if line.get_gid() == "winner")
    assert list(winner_lr.get_ydata()) == [2e-4, 1e-5, 1.25e-5, 1.25e-5]
    noise = axes[2]  # a categorical: its choices as ticks
    assert noise.get_yscale() == "linear"
    labels = [t.get_text() for t in noise.get_yticklabels()]
    winner_noise = next(line for line in noise.lines if line.get_gid() == "winner")
    assert [labels[int(v)] for v in winner_noise.get_ydata()] == ["none", "gaussian", "ou", "ou"]


def test_lineage_has_one_arrow_per_copy(tmp_path: Path) -> None:
    study = _study(tmp_path)
    (ax,) = lineage_figure(study).axes
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == sum(len(copies) for _, _, copies in MEMBERS.values()) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["member00", "member01", "member02"]
    ranks = sorted(t.get_text() for t in ax.texts if t.get_text().startswith("#"))
    assert ranks == ["#1  -200.0", "#2  -250.0", "#3  -300.0"]


def test_compare_writes_the_three_files_for_a_study_and_none_for_plain_runs(
    tmp_path: Path,
) -> None:
    _, written = compare([write_study(tmp_path / "study")], out=tmp_path / "out")
    names = {"pbt.md", "pbt_schedule.png", "pbt_lineage.png"}
    assert names <= {p.name for p in written}
    assert all((tmp_path / "out" / name).stat().st_size > 0 for name in names)
    write_run(tmp_path / "plain" / "a", [(1000, -300.0)])
    assert write_pbt_views(load_runs(tmp_path / "plain"), tmp_path / "plain") == []
    assert not (tmp_path / "plain" / "pbt.md").exists()


def test_an_empty_schedule_is_a_problem_and_leaves_the_other_members_drawn(tmp_path: Path) -> None:
    study_dir = write_study(tmp_path / "study")
    empty = study_dir / "member02" / "schedule.json"
    empty.write_text('{"member": 2, "schedule": []}')
    (study,) = find_studies(load_runs(study_dir))
    assert len(study.problems) == 1 and study.problems[0].startswith(f"{empty}: ")
    for ax in schedule_figure(study).axes:  # member02 has no line; member00 still faint
        assert [line.get_gid() for line in ax.lines] == ["member", "winner"]


def test_lineage_draws_a_revival_apart_from_the_copies(tmp_path: Path) -> None:
    (study,) = find_studies(load_runs(add_revival(write_study(tmp_path / "study"))))
    fig = lineage_figure(study)
    (ax,) = fig.axes
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert sorted(a.get_gid() for a in arrows) == ["copy", "copy", "copy", "revival"]
    (revival,) = [a for a in arrows if a.get_gid() == "revival"]
    copy = next(a for a in arrows if a.get_gid() == "copy")
    assert revival.get_linestyle() == "--" and copy.get_linestyle() == "-"
    assert to_hex(revival.get_edgecolor()) == to_hex(REVIVAL_COLOR) != to_hex(copy.get_edgecolor())
    # It starts from a red dot on member01's row (1) at the revival's step.
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    red = [
        (list(d.get_xdata()), list(d.get_ydata())) for d in dots if d.get_color() == REVIVAL_COLOR
    ]
    assert red == [([REVIVED_AT], [1])]
    (cross,) = [line for line in ax.lines if line.get_gid() == "divergence"]
    assert list(cross.get_xdata()) == [DIVERGED_AT] and list(cross.get_ydata()) == [2]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "copy at a round (exploit)",
        f"member02 revived after divergence at step {DIVERGED_AT}",
    ]


def test_lineage_without_revivals_has_only_copies_in_its_legend(tmp_path: Path) -> None:
    fig = lineage_figure(_study(tmp_path))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["copy at a round (exploit)"]
    assert not [line for line in fig.axes[0].lines if line.get_gid() == "divergence"]
