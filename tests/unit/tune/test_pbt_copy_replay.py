"""ddpg.tune.pbt with `tune.pbt.copy_replay`: the setting, exploit's changes and lineage, and a
study killed after a copy (its snapshot holds the copied replay) continuing bit-identically."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ddpg.algo.replay import ReplayBuffer
from ddpg.config.schema import (
    AgentConfig,
    ConfigError,
    EnvConfig,
    NetworkConfig,
    RunConfig,
    TrainerConfig,
)
from ddpg.config.structured import from_mapping
from ddpg.launch.job import train_population
from ddpg.storage.checkpoint import list_checkpoints, read_checkpoint_state
from ddpg.tune.pbt import PopulationBasedTraining, run_pbt
from ddpg.tune.space import parse_space
from ddpg.tune.storage import PbtSettings, TuneSettings

from .study_inputs import compose

# Tiny members: they learn from step 20; rounds at steps 30 and 60 of 90; a snapshot every 30.
BASE = RunConfig(
    env=EnvConfig(id="Pendulum-v1", solved_score=-200.0, max_episode_steps=50),
    network=NetworkConfig(name="tiny", actor_hidden=[8], critic_hidden=[8]),
    agent=AgentConfig(batch_size=8, learning_starts=20),
    trainer=TrainerConfig(total_steps=90, eval_every=30, eval_episodes=1, progress=False),
)
SPACE = parse_space(
    {
        "name": "test",
        "dimensions": [
            {"name": "agent.tau", "type": "float", "low": 0.001, "high": 0.08, "log": True},
            # members that act apart (they share `seed`: the same warm-up, the same start)
            {"name": "noise.sigma", "type": "float", "low": 0.05, "high": 1.0},
        ],
    }
)
REPLAY = ("obs", "action", "reward", "next_obs", "terminated")


def build(trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]:
    """The base config with `key=value` overrides."""
    return compose(BASE, trial_overrides)


def settings(tmp_path: Path, copy_replay: bool, population: int = 4) -> TuneSettings:
    pbt = PbtSettings(copy_replay=copy_replay)
    return TuneSettings(dir=str(tmp_path), population=population, algorithm="pbt", pbt=pbt, seed=3)


def test_copy_replay_is_false_by_default_and_a_non_bool_is_refused_naming_the_key() -> None:
    assert TuneSettings().pbt.copy_replay is False
    assert from_mapping(TuneSettings, {"pbt": {"copy_replay": "true"}}, "tune.").pbt.copy_replay
    # (An integer passes, as for every bool setting: 0 is false, any other true.)
    for bad in ("maybe", 0.5, [True]):
        with pytest.raises(ConfigError) as error:
            from_mapping(TuneSettings, {"pbt": {"copy_replay": bad}}, "tune.")
        message = str(error.value)
        assert message.startswith("tune.pbt.copy_replay") and "\n" not in message, message


def _exploit_once(tmp_path: Path, copy_replay: bool) -> tuple[list, dict[str, Any]]:
    members = [
        (
            {"agent.tau": tau, "noise.sigma": 0.1 * (k + 1)},
            build([f"agent.tau={tau}", f"noise.sigma={0.1 * (k + 1)}"])[0],
            tmp_path / f"member{k:02d}",
        )
        for k, tau in enumerate((0.01, 0.02, 0.03, 0.04))
    ]
    pbt = PopulationBasedTraining(
        settings(tmp_path, copy_replay), SPACE, build, 30, members, lambda line: None
    )
    for k, value in enumerate((-300.0, -100.0, -500.0, -200.0)):
        pbt.on_eval(k, 30, value)
    changes = pbt.exploit(np.arange(4), 30)
    return changes, json.loads((tmp_path / "member02" / "lineage.json").read_text())


def test_with_copy_replay_the_copy_carries_it_and_the_lineage_says_so(tmp_path: Path) -> None:
    changes, lineage = _exploit_once(tmp_path / "on", copy_replay=True)
    # 4 members x 0.25: member 2 (worst) copies member 1 (best); the others copy nothing.
    assert [(c.target, c.source, c.copy_replay) for c in changes] == [
        (0, None, False),
        (1, None, False),
        (2, 1, True),
        (3, None, False),
    ]
    assert lineage["copies"] == [
        {"step": 30, "source": 1, "source_run": "member01", "replay_copied": True}
    ]
    changes, lineage = _exploit_once(tmp_path / "off", copy_replay=False)  # the default
    assert [(c.target, c.source, c.copy_replay) for c in changes if c.source is not None] == [
        (2, 1, False)
    ]
    assert lineage["copies"] == [{"step": 30, "source": 1, "source_run": "member01"}]


def _train(fail_after: int | None = None):
    """run_pbt's training; with `fail_after`, the study state fails at that snapshot (before it
    is written: what a kill leaves), after `fail_after` snapshots were written."""

    def train(configs, run_dirs, on_eval, exploit, on_diverge, snapshots):
        written = [0]

        def study_state() -> dict[str, Any]:
            if fail_after is not None and written[0] >= fail_after:
                raise RuntimeError("killed")
            written[0] += 1
            return snapshots.study_state()

        return train_population(
            configs,
            run_dirs,
            on_eval,
            exploit=exploit,
            on_diverge=on_diverge,
            snapshots=dataclasses.replace(snapshots, study_state=study_state),
        )

    return train


def _records(study: Path) -> dict[str, Any]:
    """Every member's scalars (less perf/*), summary (less wall time), schedule and lineage,
    and its final checkpoint's arrays."""
    out: dict[str, Any] = {}
    for member in sorted(study.glob("member*")):
        rows = (member / "scalars.csv").read_text().splitlines()
        out[f"{member.name}/scalars"] = [r for r in rows if ",perf/" not in r]
        summary = json.loads((member / "summary.json").read_text())
        out[f"{member.name}/summary"] = {
            k: v for k, v in summary.items() if k not in ("wall_time_s", "steps_per_sec")
        }
        for name in ("schedule.json", "lineage.json"):
            out[f"{member.name}/{name}"] = json.loads((member / name).read_text())
        (final,) = sorted(member.glob("checkpoints/step_*/arrays.npz"))
        with np.load(final) as arrays:
            out[f"{member.name}/arrays"] = {key: arrays[key] for key in arrays.files}
    return out


def _assert_same(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        if key.endswith("/arrays"):
            assert value.keys() == theirs[key].keys()
            for name in value:
                np.testing.assert_array_equal(value[name], theirs[key][name], err_msg=name)
        else:
            assert value == theirs[key], key


def test_a_study_with_copy_replay_killed_after_a_copy_continues_bit_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two members (the worse copies the better at each round). Snapshots at ticks 30, 60, 90:
    the one at 60 fails (a kill), so the newest is tick 30's, taken after that round's copy:
    its target's replay is its source's, row for row. Continued from it, the study ends as the
    uninterrupted one (rows, summaries, schedules, lineage, final arrays)."""
    differed: list[float] = []  # at each copy: how far the target's replay was from the source's
    copy_member = ReplayBuffer.copy_member

    def spy(buffer: ReplayBuffer, source: int, target: int) -> None:
        differed.append(float(np.abs(buffer.obs[target] - buffer.obs[source]).max()))
        copy_member(buffer, source, target)

    monkeypatch.setattr(ReplayBuffer, "copy_member", spy)

    def study(name: str, fail_after: int | None = None) -> Path:
        s = settings(tmp_path / name, copy_replay=True, population=2)
        run_pbt(s, SPACE, build, BASE, [], lambda line: None, _train(fail_after))
        return tmp_path / name

    whole = _records(study("whole"))
    assert len(differed) == 2 and min(differed) > 0.01  # rounds 30 and 60: a real change
    with pytest.raises(RuntimeError, match="killed"):
        study("killed", fail_after=1)
    newest = list_checkpoints(tmp_path / "killed" / "snapshots")[-1]
    state = read_checkpoint_state(newest)
    assert state["tick"] == 30
    lineage = state["study"]["pbt"]["lineage"]
    ((target, copy),) = [(k, c) for k, copies in enumerate(lineage) for c in copies]
    assert copy["step"] == 30 and copy["replay_copied"] is True
    with np.load(newest / "arrays.npz") as arrays:
        for name in REPLAY:
            ours, theirs = (arrays[f"slot{k}/replay/{name}"] for k in (target, copy["source"]))
            assert len(ours) == 30  # every step so far: the copy is the tick's last change
            np.testing.assert_array_equal(ours, theirs, err_msg=name)
    killed = study("killed")  # the same command again: it continues from tick 30
    _assert_same(_records(killed), whole)
    assert not (killed / "snapshots").exists()  # a finished study removes them
