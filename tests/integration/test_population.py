"""Populations: exact resume after SIGKILL, members independent of their company, divergence
that stays with the member it happened to."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_member_config

from ddpg.config.schema import RewardNormConfig, RunConfig
from ddpg.launch.job import train_population
from ddpg.storage.checkpoint import find_checkpoint, load_checkpoint, read_checkpoint_state

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from population_child import MEMBERS  # noqa: E402
from processes import sigkill_at_step  # noqa: E402
from test_checkpoint import assert_same_run  # noqa: E402

CHILD = HERE / "population_child.py"


def run_child(root: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), str(root), *extra])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    assert run_child(root).wait(timeout=600) == 0
    return root


def test_sigkill_mid_episode_then_resume_matches_uninterrupted_population(reference, tmp_path):
    child = run_child(tmp_path)
    sigkill_at_step(child, tmp_path / "m0", 600, "the population")
    steps = {
        read_checkpoint_state(find_checkpoint(tmp_path / f"m{k}"))["train"]["step"]
        for k in range(len(MEMBERS))
    }
    assert steps == {500}  # every member checkpointed together, mid-episode (150-step episodes)
    assert run_child(tmp_path, "resume").wait(timeout=600) == 0
    for k in range(len(MEMBERS)):
        assert (
            json.loads((tmp_path / f"m{k}" / "summary.json").read_text())["status"] == "completed"
        )
        assert_same_run(reference / f"m{k}", tmp_path / f"m{k}")


def test_a_damaged_newest_checkpoint_steps_every_member_back_and_stays_bit_identical(
    reference, tmp_path
):
    """Member 1's newest checkpoint is cut short: the population resumes together from the step
    before (not member 1 alone from its own older one) and ends as the uninterrupted run."""
    child = run_child(tmp_path)
    sigkill_at_step(child, tmp_path / "m0", 600, "the population")
    newest = find_checkpoint(tmp_path / "m1")
    assert newest.name == "step_000000500"
    arrays = newest / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    resumed = subprocess.run(
        [sys.executable, str(CHILD), str(tmp_path), "resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    line = (
        f"damaged checkpoint file {arrays}: checksum mismatch; 3 runs resume together from "
        "step_000000250, the newest step at which every member's checkpoint verifies"
    )
    assert line in resumed.stderr.splitlines()
    for k in range(len(MEMBERS)):
        summary = json.loads((tmp_path / f"m{k}" / "summary.json").read_text())
        assert (summary["status"], summary["env_steps"]) == ("completed", 900)
        assert_same_run(reference / f"m{k}", tmp_path / f"m{k}")


@pytest.mark.parametrize("launcher", ["population:runs", "population:folder", "basic:folder"])
def test_a_sweep_of_resumes_steps_a_damaged_members_population_back_together(
    reference, tmp_path, launcher
):
    """As above, resumed by `python -m ddpg.run -m` under the population launcher with resume=
    the three runs (three jobs, one population) or their folder (one job), or under Hydra's
    basic launcher with the folder (one job, its population in one child): the same line, and
    every member ends as the uninterrupted run."""
    root = tmp_path / "runs"
    child = run_child(root)
    sigkill_at_step(child, root / "m0", 600, "the population")
    arrays = find_checkpoint(root / "m1") / "arrays.npz"
    assert arrays.parent.name == "step_000000500"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    kind, named = launcher.split(":")
    runs = ",".join(str(root / f"m{k}") for k in range(len(MEMBERS)))
    command = [
        sys.executable,
        "-m",
        "ddpg.run",
        "-m",
        f"resume={runs if named == 'runs' else root}",
    ]
    command += [f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    command += ["hydra/launcher=population"] if kind == "population" else []
    resumed = subprocess.run(command, cwd=HERE.parents[1], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    line = (
        f"damaged checkpoint file {arrays}: checksum mismatch; 3 runs resume together from "
        "step_000000250, the newest step at which every member's checkpoint verifies"
    )
    assert resumed.stderr.splitlines().count(line) == 1, resumed.stderr[-3000:]
    logs = list((tmp_path / "sweep").rglob("population*/*.log"))
    logs += list((tmp_path / "sweep").rglob("population_*.log"))
    assert len(logs) == 1, logs  # one population, as it was interrupted
    for k in range(len(MEMBERS)):
        summary = json.loads((root / f"m{k}" / "summary.json").read_text())
        assert (summary["status"], summary["env_steps"]) == ("completed", 900)
        assert_same_run(reference / f"m{k}", root / f"m{k}")


def _small(seed: int, **agent) -> RunConfig:
    return tiny_member_config(
        seed,
        hidden=(16, 16),
        learning_starts=100,
        episode=100,
        total_steps=1100,
        eval_every=550,
        **agent,
    )


def _final_arrays(run_dir: Path) -> dict[str, np.ndarray]:
    return load_checkpoint(find_checkpoint(run_dir))[0]


def test_a_member_among_two_and_among_eight_trains_bit_for_bit_the_same(tmp_path):
    """Seed 3 over 1000 updates: beside one other member vs. as the fourth of eight with other
    seeds, learning rates and tau. Batched kernels give a member the same bits whatever the
    batch of members (K >= 2; a population of one differs in the last bit, see
    tests/unit/algo/test_learner.py), so the whole run is identical."""
    pair = [_small(0, actor_lr=3e-3), _small(3)]
    train_population(pair, [tmp_path / "pair0", tmp_path / "pair3"])
    company = [_small(s, actor_lr=1e-3 * (1 + s % 3)) for s in (0, 1, 2)]
    company += [_small(3)] + [_small(s, tau=0.01) for s in (4, 5, 6, 7)]
    train_population(company, [tmp_path / f"pop{k}" for k in range(8)])
    assert_same_run(tmp_path / "pair3", tmp_path / "pop3")


def test_a_diverging_member_is_frozen_and_the_others_train_on(tmp_path):
    """Member 1's rewards are scaled to overflow float32: its losses turn inf/NaN."""
    configs = [_small(0), _small(1), _small(2)]
    configs[1] = dataclasses.replace(
        configs[1], reward_norm=RewardNormConfig(name="scale", scale=1e38)
    )
    for config in configs:
        config.trainer.checkpoint_every = 100
    summaries = train_population(configs, [tmp_path / f"m{k}" for k in range(3)])
    assert [s["status"] for s in summaries] == ["completed", "diverged", "completed"]
    assert "is not finite" in summaries[1]["error"]
    assert not (tmp_path / "m1" / "policy").exists()
    last_good = read_checkpoint_state(find_checkpoint(tmp_path / "m1"))["train"]
    assert 0 < last_good["step"] < 1100  # its last good checkpoint is kept
    pair = train_population([_small(0), _small(2)], [tmp_path / "p0", tmp_path / "p2"])
    assert [s["final_eval_return"] for s in pair] == [
        summaries[0]["final_eval_return"],
        summaries[2]["final_eval_return"],
    ]  # the diverged member cost the others nothing, not a bit
