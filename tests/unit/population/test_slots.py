"""ddpg.population.slots through the trainer: population-based training's copy, in memory."""

import dataclasses
from pathlib import Path

import numpy as np
from conftest import population_trainer, tiny_member_config

from ddpg.config.schema import NoiseConfig
from ddpg.population.member_change import MemberChange
from ddpg.population.member_checkpoint import learner_member_states

BASE = tiny_member_config(normalized=True, total_steps=60, eval_every=30)


def test_a_copied_member_holds_its_sources_state_then_trains_under_its_new_config(tmp_path):
    configs = [dataclasses.replace(BASE, seed=k) for k in range(3)]
    trainer = population_trainer(configs, [tmp_path / str(k) for k in range(3)])
    copied: list[dict] = []

    def exploit(members: np.ndarray, step: int) -> list[MemberChange]:
        if step != 30:
            return []
        agent = dataclasses.replace(configs[0].agent, tau=0.2, actor_lr=3e-4)
        config = dataclasses.replace(configs[0], agent=agent, noise=NoiseConfig(sigma=0.05))
        before = learner_member_states(trainer.c.agent.learner)
        trainer.change_member(MemberChange(2, 0, config, {"pbt/agent.tau": 0.2}))
        after = learner_member_states(trainer.c.agent.learner)
        c = trainer.c
        stats = [
            (c.agent.obs_normalizer.member_state(k), c.reward_normalizer.member_state(k))
            for k in (0, 2)
        ]
        copied.append({"before": before, "after": after, "stats": stats})
        return []

    _train_with(trainer, exploit)
    (record,) = copied
    source, target = record["before"][0], record["after"][2]
    for name, value in source.items():
        if name.split("/")[0] == "actor_optimizer" and name.endswith("/0"):
            continue  # the learning rates: the target's is its new config's
        np.testing.assert_array_equal(target[name], value, err_msg=name)
    for name, value in record["before"][1].items():  # the others untouched
        np.testing.assert_array_equal(record["after"][1][name], value, err_msg=name)
    learner = trainer.c.agent.learner
    assert learner.actor_optimizer.learning_rate.numpy()[2] == np.float32(3e-4)
    assert trainer.configs[2].agent.tau == 0.2 and trainer.c.agent.noise.sigma[2] == 0.05
    # Normalizer statistics came with the copy; from then on member 2 updates its own.
    (obs_source, reward_source), (obs_target, reward_target) = record["stats"]
    for ours, theirs in ((obs_target, obs_source), (reward_target, reward_source)):
        assert ours.keys() == theirs.keys() and ours
        for name in ours:
            np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    obs_norm = trainer.c.agent.obs_normalizer
    assert not np.array_equal(obs_norm.mean[2], obs_norm.mean[0])  # 30 steps of its own env
    rows = (Path(tmp_path / "2") / "scalars.csv").read_text().splitlines()
    assert "30,pbt/agent.tau,0.2" in rows
    assert [s.status for s in trainer.states] == ["completed"] * 3


def _train_with(trainer, exploit) -> None:
    """Train to the end with `exploit` as the trainer's round hook, then close it."""
    trainer.exploit = exploit
    try:
        trainer.train()
    finally:
        trainer.close()


def _replay(trainer, k: int) -> dict[str, np.ndarray]:
    """Member k's whole replay ring (every row) and cursor, copied."""
    buffer = trainer.c.replay_buffer
    names = ("obs", "action", "reward", "next_obs", "terminated")
    arrays = {name: np.array(getattr(buffer, name)[k]) for name in names}
    return arrays | {"size": np.array(buffer.sizes[k]), "position": np.array(buffer.positions[k])}


def _assert_same(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


def test_a_copy_with_copy_replay_takes_the_sources_replay_and_one_without_keeps_its_own(tmp_path):
    """At step 30 member 2 copies member 0 with its replay, member 1 copies member 0 without:
    member 2's ring is then member 0's (every row, size, write position), member 1's and
    member 0's are as they were; from then on each fills its own."""
    configs = [dataclasses.replace(BASE, seed=k) for k in range(3)]
    trainer = population_trainer(configs, [tmp_path / str(k) for k in range(3)])
    seen: dict[str, list] = {}

    def exploit(members: np.ndarray, step: int) -> list[MemberChange]:
        if step != 30:
            return []
        seen["before"] = [_replay(trainer, k) for k in range(3)]
        trainer.change_member(MemberChange(2, 0, configs[2], {}, copy_replay=True))
        trainer.change_member(MemberChange(1, 0, configs[1], {}))
        seen["after"] = [_replay(trainer, k) for k in range(3)]
        return []

    trainer.exploit = exploit
    try:
        trainer.train()
        final = [_replay(trainer, k) for k in range(3)]
    finally:
        trainer.close()
    before, after = seen["before"], seen["after"]
    assert int(before[0]["size"]) == 30 and not np.array_equal(before[2]["obs"], before[0]["obs"])
    _assert_same(after[2], before[0])  # the copy
    _assert_same(after[0], before[0])  # the source unchanged
    _assert_same(after[1], before[1])  # no copy_replay: its own
    assert not np.array_equal(final[2]["obs"], final[0]["obs"])  # its own env's steps after


def test_a_held_member_revived_with_copy_replay_takes_the_sources_replay(tmp_path):
    """A member held since it diverged (a NaN learning rate: at its first update, step 20)
    that copies member 0 at step 30 with copy_replay: its random transitions give way to
    member 0's replay, and it trains on to its budget."""
    configs = [dataclasses.replace(BASE, seed=k) for k in range(2)]
    trainer = population_trainer(configs, [tmp_path / str(k) for k in range(2)])
    rates = trainer.c.agent.learner.actor_optimizer.learning_rate
    rates.assign(np.array([rates.numpy()[0], np.nan], np.float32))
    trainer.on_diverge = lambda k, step, why: True
    seen: dict[str, list] = {}

    def exploit(members: np.ndarray, step: int) -> list[MemberChange]:
        if step != 30:
            return []
        seen["before"] = [_replay(trainer, k) for k in range(2)]
        assert trainer.held  # member 1, since step 20
        trainer.change_member(MemberChange(1, 0, configs[1], {}, copy_replay=True))
        seen["after"] = [_replay(trainer, k) for k in range(2)]
        return []

    _train_with(trainer, exploit)
    before, after = seen["before"], seen["after"]
    assert not np.array_equal(before[1]["obs"], before[0]["obs"])  # its own random steps
    _assert_same(after[1], before[0])
    _assert_same(after[0], before[0])
    assert not trainer.held and trainer.states[1].status == "completed"
    assert trainer.states[1].step == 60 and trainer.states[1].divergences == 1
