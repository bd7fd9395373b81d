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

    trainer.exploit = exploit
    try:
        trainer.train()
    finally:
        trainer.close()
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
