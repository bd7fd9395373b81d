"""A smoke run in-process and through `python -m ddpg.run`, checked against the run-dir contract."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_config
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ddpg.launch.job import train_run
from ddpg.storage.metrics import SCALAR_KEYS

pytestmark = pytest.mark.slow

ALWAYS_LOGGED = SCALAR_KEYS  # every key of the contract appears in every run


def assert_run_contract(run_dir: Path, steps: int) -> None:
    for name in (
        "params.json",
        "scalars.csv",
        "summary.json",
        "policy/actor.weights.h5",
        "policy/policy.json",
    ):
        assert (run_dir / name).is_file(), name
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["env_steps"] == steps
    params = json.loads((run_dir / "params.json").read_text())
    assert params["env.id"] == "Pendulum-v1" and "agent.tau" in params
    scalars = pd.read_csv(run_dir / "scalars.csv")
    assert list(scalars.columns) == ["step", "key", "value"]
    assert set(scalars.key) == ALWAYS_LOGGED
    assert scalars.step.max() == steps
    final_eval = scalars[scalars.key == "eval/return_mean"].value.iloc[-1]
    assert summary["final_eval_return"] == pytest.approx(final_eval)
    events = EventAccumulator(str(run_dir / "tb"), size_guidance={"tensors": 0}).Reload()
    tags = set(events.Tags()["tensors"])
    assert tags >= ALWAYS_LOGGED
    returns = events.Tensors("train/episode_return")
    assert [e.step for e in returns] == scalars[scalars.key == "train/episode_return"].step.tolist()


def test_in_process_run_writes_the_contract(tmp_path):
    summary = train_run(tiny_config(), tmp_path)
    assert summary["status"] == "completed"
    assert_run_contract(tmp_path, 400)


def cli(repo: Path, *overrides: str) -> subprocess.CompletedProcess:
    """`python -m ddpg.run OVERRIDES` as a user starts it: TF's log level left unset."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    command = [sys.executable, "-m", "ddpg.run", *overrides]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_module_run_writes_the_contract_says_how_it_ended_and_quiet_bad_values(tmp_path, repo):
    run_dir = tmp_path / "run"
    done = cli(repo, "+experiment=smoke", f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr
    assert_run_contract(run_dir, 300)
    summary = json.loads((run_dir / "summary.json").read_text())
    block = done.stdout[done.stdout.index(f"Run completed: {run_dir}") :].splitlines()
    final, std = summary["final_eval_return"], summary["final_eval_std"]
    assert block[1].split() == [
        "final",
        "eval",
        f"{final:.1f}",
        "+-",
        f"{std:.1f}",
        "(at",
        "env",
        "step",
        "300)",
    ]
    assert f"{summary['steps_per_sec']:.0f} env steps/s" in block[4]
    assert block[-2:] == [
        f"  tensorboard --logdir {run_dir}",
        f"  python -m ddpg.evaluate run_dir={run_dir}",
    ]
    # TensorFlow's start-up notices (cuInit, oneDNN, absl) stay off a CPU-only terminal,
    # in training and in evaluation.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    evaluate = [sys.executable, "-m", "ddpg.evaluate", f"run_dir={run_dir}", "episodes=1"]
    evaluated = subprocess.run(evaluate, cwd=repo, env=env, capture_output=True, text=True)
    assert evaluated.returncode == 0, evaluated.stderr
    for notice in ("cuInit", "oneDNN", "absl::InitializeLog", "cuda drivers"):
        assert notice not in done.stderr and notice not in evaluated.stderr
    bad = cli(repo, "+experiment=smoke", f"hydra.run.dir={tmp_path / 'bad'}", "agent.tau=1.5")
    assert bad.returncode == 2
    assert "agent.tau=1.5" in bad.stderr and "Traceback" not in bad.stderr + bad.stdout
    assert not (tmp_path / "bad").exists()  # a run that never started leaves no folder
    unknown = cli(repo, "env.id=NoSuchEnv-v0", f"hydra.run.dir={tmp_path / 'unknown'}")
    assert unknown.returncode == 2 and "env.id='NoSuchEnv-v0'" in unknown.stderr
    assert not (tmp_path / "unknown").exists()


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """Every file of a run folder -> its bytes."""
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}


def test_resume_a_finished_run_changes_nothing_unless_the_budget_is_raised(tmp_path, repo):
    run_dir = tmp_path / "run"
    train = ["+experiment=smoke", "trainer.total_steps=400", "trainer.eval_every=200"]
    assert cli(repo, *train, f"hydra.run.dir={run_dir}").returncode == 0
    before = snapshot(run_dir)
    again = cli(repo, f"resume={run_dir}")
    assert again.returncode == 0, again.stderr
    assert "already finished; nothing to do" in again.stdout
    assert snapshot(run_dir) == before  # no summary, event file or Hydra record added
    refused = cli(repo, f"resume={run_dir}", "agent.tau=0.1")
    assert refused.returncode == 2 and "agent.tau=0.1 cannot change on resume" in refused.stderr
    assert snapshot(run_dir) == before
    first = json.loads(before["summary.json"])
    longer = cli(repo, f"resume={run_dir}", "trainer.total_steps=600")
    assert longer.returncode == 0, longer.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["status"], summary["env_steps"]) == ("completed", 600)
    assert summary["wall_time_s"] > first["wall_time_s"]  # both segments count
    assert json.loads((run_dir / "params.json").read_text())["trainer.total_steps"] == 600
    scalars = pd.read_csv(run_dir / "scalars.csv")
    assert scalars[scalars.key == "eval/return_mean"].step.tolist() == [200, 400, 600]
    resumes = list((run_dir / ".hydra").glob("resume_*/.hydra/overrides.yaml"))
    assert len(resumes) == 1 and "trainer.total_steps=600" in resumes[0].read_text()


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`: empty folders count too."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in folder.rglob("*")
    }


def test_resume_with_nothing_to_do_changes_nothing_and_leaves_nothing(tmp_path):
    """A diverged run is finished (trained on from its last good checkpoint it would diverge
    again); with a completed one beside it, every form of resume= says there is nothing to do,
    exits 0, and leaves the runs and the working directory as they were."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_bad_input import command

    sweep, cwd = tmp_path / "sweep", tmp_path / "cwd"
    cwd.mkdir()
    smoke = ["+experiment=smoke", "trainer.total_steps=200", "trainer.checkpoint_every=100"]
    blow_up = ["reward_norm=scale", "reward_norm.scale=1e38"]
    diverged = command(cwd, "ddpg.run", *smoke, *blow_up, f"hydra.run.dir={sweep / 'a'}")
    assert diverged.returncode == 2 and "training diverged" in diverged.stderr
    assert command(cwd, "ddpg.run", *smoke, f"hydra.run.dir={sweep / 'b'}").returncode == 0
    cwd.rmdir()  # empty: each run went where hydra.run.dir says
    before = tree(sweep)
    a_line = f"{sweep / 'a'} already finished (diverged); nothing to do"
    b_line = f"{sweep / 'b'} already finished; nothing to do (raise trainer.total_steps"
    cases = [
        ([f"resume={sweep / 'a'}"], [a_line]),
        ([f"resume={sweep / 'a'}", "trainer.total_steps=400"], [a_line]),
        ([f"resume={sweep}"], [f"{sweep} already finished; nothing to do (raise"]),
        (["-m", f"resume={sweep / 'a'},{sweep / 'b'}"], [a_line, b_line]),
        (
            ["-m", "hydra/launcher=population", f"resume={sweep / 'a'},{sweep / 'b'}"],
            [a_line, b_line],
        ),
        (["-m", "hydra/launcher=population", f"resume={sweep}"], [f"{sweep} already finished;"]),
    ]
    for args, lines in cases:
        cwd.mkdir()
        done = command(cwd, "ddpg.run", *args)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert all(line in output for line in lines), output
        assert output.count("already finished") == 2 if "," in args[-1] else 1, output
        assert "Traceback" not in output and "Sweep finished" not in output, output
        assert tree(sweep) == before, args  # no checkpoint, summary or Hydra record added
        assert list(cwd.iterdir()) == [], args  # no outputs/multirun/<time>/ left
        cwd.rmdir()


def test_unknown_group_option_fails_with_one_line_naming_it(tmp_path, repo):
    done = subprocess.run(
        [sys.executable, "-m", "ddpg.run", "network=no_such_net", f"hydra.run.dir={tmp_path}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "network=no_such_net is invalid: config group network has no option" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "summary.json").exists()  # nothing that looks like a run


def test_population_size_trains_seeds_together_and_resumes_as_a_population(tmp_path, repo):
    run_dir = tmp_path / "pop"
    train = ["+experiment=smoke", "seed=5", "population.size=3", "trainer.eval_every=100"]
    done = cli(repo, *train, "trainer.checkpoint_every=100", f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr
    members = sorted(p.name for p in run_dir.glob("seed*"))
    assert members == ["seed5", "seed6", "seed7"]
    for name in members:
        assert_run_contract(run_dir / name, 300)
        params = json.loads((run_dir / name / "params.json").read_text())
        assert params["seed"] == int(name[4:]) and params["population.size"] == 1
    assert f"Population finished: {run_dir} (3 jobs)" in done.stdout
    assert "python -m ddpg.compare" in done.stdout  # the closing block names each member
    assert all(name in done.stdout for name in members)
    longer = cli(repo, f"resume={run_dir}", "trainer.total_steps=400")
    assert longer.returncode == 0, longer.stderr
    assert "resuming 3 runs" in longer.stderr
    for name in members:
        summary = json.loads((run_dir / name / "summary.json").read_text())
        assert (summary["status"], summary["env_steps"]) == ("completed", 400)
    refused = cli(repo, "-m", "population.size=2", "seed=0,1", f"hydra.sweep.dir={tmp_path}/s")
    assert "population.size applies to single runs" in refused.stderr
