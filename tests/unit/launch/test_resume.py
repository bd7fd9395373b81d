"""ddpg.launch.resume: runs that resume together step back together past a damaged checkpoint;
a diverged run is finished. Checkpoints here are real files with a one-number payload."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import checkpointed_run

from ddpg.config.schema import ConfigError
from ddpg.launch.resume import nothing_to_do, plan_resumes, plan_runs, step_back_together


def damage(run_dir: Path, step: int, name: str = "arrays.npz") -> Path:
    file = run_dir / "checkpoints" / f"step_{step:09d}" / name
    file.write_bytes(file.read_bytes()[:-5])
    return file


def steps_of(plans) -> list[str]:
    return [plan.checkpoint.name for plan in plans]


def test_an_intact_population_resumes_from_its_newest_step_silently(tmp_path, capsys):
    for k in range(3):
        checkpointed_run(tmp_path / f"m{k}", k, (250, 500))
    plans = plan_resumes(tmp_path, {})
    assert steps_of(plans) == ["step_000000500"] * 3
    assert [p.config.resume for p in plans] == [str(p.checkpoint) for p in plans]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", ["arrays.npz", "state.json", "manifest.json"])
def test_one_damaged_member_steps_the_whole_population_back_and_says_so(tmp_path, capsys, name):
    for k in range(3):
        checkpointed_run(tmp_path / f"m{k}", k, (250, 500, 750))
    damaged = damage(tmp_path / "m1", 750, name)
    plans = plan_resumes(tmp_path, {})
    assert steps_of(plans) == ["step_000000500"] * 3
    assert [p.config.resume for p in plans] == [str(p.checkpoint) for p in plans]
    assert [p.config.seed for p in plans] == [0, 1, 2]  # m1's config read from an older one
    problem = "checksum mismatch" if name != "manifest.json" else "unreadable or invalid JSON"
    line = capsys.readouterr().err
    assert line.startswith(f"damaged checkpoint file {damaged}: {problem}")
    assert line.endswith(
        "; 3 runs resume together from step_000000500, the newest step at which every "
        "member's checkpoint verifies\n"
    )
    assert line.count("\n") == 1


def test_damage_at_two_steps_steps_back_past_both_and_counts_them(tmp_path, capsys):
    for k in range(2):
        checkpointed_run(tmp_path / f"m{k}", k, (250, 500, 750))
    first = damage(tmp_path / "m0", 750)
    damage(tmp_path / "m1", 500)
    assert steps_of(plan_resumes(tmp_path, {})) == ["step_000000250"] * 2
    assert capsys.readouterr().err.startswith(
        f"damaged checkpoint file {first}: checksum mismatch (and 1 more damaged file); "
        "2 runs resume together from step_000000250"
    )


def test_populations_interrupted_at_other_steps_step_back_each_on_their_own(tmp_path, capsys):
    """Two populations of one sweep (same shapes) killed at other steps: a damaged member of the
    one at 750 never moves the one at 500."""
    for k in range(2):
        checkpointed_run(tmp_path / f"a{k}", k, (500, 750))
        checkpointed_run(tmp_path / f"b{k}", 10 + k, (250, 500))
    damage(tmp_path / "a1", 750)
    assert steps_of(plan_resumes(tmp_path, {})) == ["step_000000500"] * 4
    assert "2 runs resume together from step_000000500" in capsys.readouterr().err


def test_no_step_where_every_member_verifies_is_one_line_naming_the_file(tmp_path):
    checkpointed_run(tmp_path / "m0", 0, (250, 500))
    checkpointed_run(tmp_path / "m1", 1, (500,))  # its only checkpoint, damaged
    damaged = damage(tmp_path / "m1", 500)
    with pytest.raises(ConfigError) as error:
        plan_resumes(tmp_path, {})
    assert str(error.value) == (
        f"resume={tmp_path} is invalid: damaged checkpoint file {damaged}: checksum mismatch, "
        "and its population (2 runs) has no earlier step at which every member's checkpoint "
        "verifies"
    )


def test_finished_members_neither_step_back_nor_hold_the_others_back(tmp_path, capsys):
    checkpointed_run(tmp_path / "m0", 0, (250, 500, 750))
    checkpointed_run(tmp_path / "m1", 1, (250, 500, 750))
    checkpointed_run(tmp_path / "m2", 2, (250,), status="diverged")  # its last good checkpoint
    checkpointed_run(tmp_path / "m3", 3, (250, 500), status="completed")
    damage(tmp_path / "m2", 250)  # finished: never read past its config
    plans = plan_resumes(tmp_path, {})
    assert [p.finished for p in plans] == [False, False, True, True]
    assert steps_of(plans)[:2] == ["step_000000750"] * 2
    assert capsys.readouterr().err == ""


def test_a_diverged_run_is_finished_even_with_a_raised_budget(tmp_path):
    checkpointed_run(tmp_path / "run", 0, (250,), status="diverged")
    (plan,) = plan_resumes(tmp_path / "run", {"trainer.total_steps": 10**9})
    assert plan.finished
    assert nothing_to_do(tmp_path / "run", [plan]) == (
        f"{tmp_path / 'run'} already finished (diverged); nothing to do"
    )
    checkpointed_run(tmp_path / "done", 1, (250,), status="completed")
    (done,) = plan_resumes(tmp_path / "done", {"trainer.total_steps": 10**9})
    assert not done.finished  # a completed run trains on when its budget is raised
    assert nothing_to_do(tmp_path, [plan, done]) == (
        f"{tmp_path} already finished; nothing to do (raise trainer.total_steps to train it "
        "further)"
    )


def test_plan_runs_keeps_each_run_at_its_newest_checkpoint_until_the_step_back(tmp_path, capsys):
    """What the population launcher plans per job: a folder's runs, or one run, each at its
    newest checkpoint even when damaged (config from an older one); the launcher then steps
    back the runs it will train together."""
    for k in range(2):
        checkpointed_run(tmp_path / f"m{k}", k, (250, 500))
    damaged = damage(tmp_path / "m1", 500, "state.json")
    (one,) = plan_runs(tmp_path / "m1", {})
    assert (one.checkpoint.name, one.config.seed) == ("step_000000500", 1)
    plans = plan_runs(tmp_path, {})
    assert steps_of(plans) == ["step_000000500"] * 2
    step_back_together("the runs", plans)
    assert steps_of(plans) == ["step_000000250"] * 2
    assert [p.config.resume for p in plans] == [str(p.checkpoint) for p in plans]
    assert capsys.readouterr().err.startswith(f"damaged checkpoint file {damaged}")
    with pytest.raises(ConfigError, match="holds no checkpoint"):
        plan_runs(tmp_path / "m0" / "checkpoints", {})


def test_a_run_alone_steps_back_in_a_line_of_its_own(tmp_path, capsys):
    checkpointed_run(tmp_path / "m0", 0, (250, 500))
    damaged = damage(tmp_path / "m0", 500)
    plans = plan_runs(tmp_path / "m0", {})
    step_back_together(tmp_path / "m0", plans)
    assert capsys.readouterr().err == (
        f"damaged checkpoint file {damaged}: checksum mismatch; 1 run resumes from "
        "step_000000250, the newest step at which every member's checkpoint verifies\n"
    )
