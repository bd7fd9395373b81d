"""Bad input to the commands ends the project's way: one line naming the key, group or file,
exit code 2, no traceback, and nothing left in the working directory. Each case fails before
anything trains."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def command(cwd: Path, module: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS` started in `cwd`, as a user starts it (TF's log level unset)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "HYDRA_FULL_ERROR")
    }
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line(done: subprocess.CompletedProcess) -> str:
    """The command's only output line, after checking it ended as a bad value ends."""
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, output
    return done.stderr.strip()


def options(group: str) -> str:
    return ", ".join(sorted(p.stem for p in (REPO / "conf" / group).glob("*.yaml")))


GROUPS = ", ".join(
    sorted(p.name for p in (REPO / "conf").iterdir() if p.is_dir() and p.name != "hydra")
)


@pytest.mark.parametrize(
    ("module", "args", "line"),
    [
        (
            "ddpg.run",
            ["env=pendulm"],
            "error: env=pendulm is invalid: config group env has no option 'pendulm'; "
            f"did you mean pendulum? (options: {options('env')})",
        ),
        (
            "ddpg.run",
            ["netwrok=mlp256"],
            "error: netwrok=mlp256 is invalid: no config group or key 'netwrok'; "
            f"did you mean network? (config groups: {GROUPS})",
        ),
        (
            "ddpg.run",
            ["experiment=smoke"],
            "error: experiment=smoke is invalid: config group experiment is not in the defaults "
            "list; add it with +experiment=smoke",
        ),
        ("ddpg.run", ["agent.tua=0.1"], "error: agent.tua=0.1 is invalid: agent has no key 'tua'"),
        (
            "ddpg.tune",
            ["search=ddgp"],
            "error: search=ddgp is invalid: config group search has no option 'ddgp'; "
            f"did you mean ddpg? (options: {options('search')})",
        ),
        (
            "ddpg.tune",
            ["env=pendulm"],
            "error: env=pendulm is invalid: config group env has no option 'pendulm'; "
            f"did you mean pendulum? (options: {options('env')})",
        ),
    ],
)
def test_a_config_group_typo_names_the_group_and_what_exists(tmp_path, module, args, line):
    assert one_line(command(tmp_path, module, *args)) == line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        (
            "hydra.launcher.max_members=0",
            "error: hydra.launcher.max_members=0 is invalid: expected an integer >= 1",
        ),
        (
            "hydra.launcher.n_workers=-1",
            "error: hydra.launcher.n_workers=-1 is invalid: expected an integer >= 1",
        ),
    ],
)
def test_a_bad_launcher_setting_is_one_line(tmp_path, setting, line):
    sweep = ["-m", "hydra/launcher=population", setting, "+experiment=smoke", "seed=0,1"]
    assert one_line(command(tmp_path, "ddpg.run", *sweep)) == line
    assert list(tmp_path.iterdir()) == []


def test_a_population_size_that_is_not_a_number_is_one_line(tmp_path):
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "population.size=ten")
    assert one_line(done) == "error: population.size='ten' is invalid: expected an integer"
    assert list(tmp_path.iterdir()) == []


def test_a_broken_interpolation_names_the_key_it_is_in(tmp_path):
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "trainer.total_steps=${env.nope}")
    assert one_line(done) == "error: trainer.total_steps: Interpolation key 'env.nope' not found"
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_never_starts_leaves_no_outputs_folder(tmp_path):
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "agent.tau=1.5")
    assert one_line(done) == "error: agent.tau=1.5 is invalid: expected a number in (0, 1]"
    assert list(tmp_path.iterdir()) == []  # neither the run's folder nor outputs/runs/
    earlier = tmp_path / "outputs" / "runs" / "earlier_run"
    earlier.mkdir(parents=True)
    (tmp_path / "outputs" / "empty_before").mkdir()
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "agent.tau=1.5")
    assert done.returncode == 2
    # What was there before stays, even an empty folder; only the run's own folder went.
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "outputs",
        "outputs/empty_before",
        "outputs/runs",
        "outputs/runs/earlier_run",
    ]


def test_a_budget_that_never_reaches_learning_starts_is_refused(tmp_path):
    # LunarLander warms up for 10,000 steps: 2,000 used to end "completed" without an update.
    done = command(tmp_path, "ddpg.run", "env=lunarlander", "trainer.total_steps=2000")
    assert one_line(done) == (
        "error: trainer.total_steps=2000 is invalid: the agent would never train, as its first "
        "update waits for agent.learning_starts=10000 steps (raise trainer.total_steps above "
        "10000 or lower agent.learning_starts)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_deprecated_env_id_is_our_line_alone(tmp_path):
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "env.id=Pendulum-v0")
    assert one_line(done) == (  # gymnasium's "Pendulum-v0 is out of date" warning is not shown
        "error: env.id='Pendulum-v0' is invalid: not a registered gymnasium environment "
        "(Environment version v0 for `Pendulum` is deprecated. Please use `Pendulum-v1` instead.)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_population_larger_than_the_machine_is_refused_naming_both_sizes(tmp_path):
    done = command(tmp_path, "ddpg.run", "+experiment=smoke", "population.size=1000000000")
    assert re.fullmatch(
        r"error: population\.size=1000000000 is too large: it needs an estimated [\d.]+ [KMGTP]iB "
        r"\(1,000,000,000 x [\d.]+ KiB: [\d,]+ replay rows of 36 B and [\d,]+ network weights "
        r"x 16 B\), more than the [\d.]+ [KMGTP]iB of memory available on this machine",
        one_line(done),
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "made"),
    [
        (["hydra.run.dir={blocked}/run"], "run"),
        (["population.size=2", "hydra.run.dir={blocked}/pop"], "pop"),
        (
            ["-m", "hydra/launcher=population", "seed=0,1", "hydra.sweep.dir={blocked}/sweep"],
            "sweep",
        ),
    ],
    ids=["single run", "population", "population sweep"],
)
def test_an_output_folder_that_cannot_be_made_is_one_line(tmp_path, args, made):
    # A folder below a file: unwritable for every user (root ignores a read-only mode), and
    # Hydra meets it where it meets a read-only file system, making the run or sweep folder.
    blocked = tmp_path / "taken"
    blocked.write_text("a file, not a folder")
    args = [arg.format(blocked=blocked) for arg in args]
    done = command(tmp_path, "ddpg.run", *args, "+experiment=smoke")
    assert one_line(done) == (
        f"error: cannot write {blocked / made}: Not a directory (the output folder: "
        "hydra.run.dir, or hydra.sweep.dir with -m)"
    )
    assert list(tmp_path.iterdir()) == [blocked]


def test_a_tune_storage_that_is_not_a_journal_leaves_no_study_folder(tmp_path):
    journal = tmp_path / "notes.txt"
    journal.write_text("not a journal\n")
    done = command(tmp_path, "ddpg.tune", f"tune.storage={journal}", "trainer.total_steps=3000")
    assert one_line(done) == (
        f"error: tune.storage={journal} cannot be read as an Optuna journal: "
        "Expecting value: line 1 column 1 (char 0)"
    )
    assert list(tmp_path.iterdir()) == [journal]  # no outputs/tune/<study>/
