"""The members' envs mid-episode: what reaches replay when, and how episodes end and begin."""

from pathlib import Path

import numpy as np
import pytest
from conftest import population_trainer

from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import EnvConfig, NetworkConfig, RewardNormConfig, RunConfig, TrainerConfig
from ddpg.envs.make import make_env

EPISODE = 5


@pytest.fixture
def member_envs(tmp_path: Path):
    """Two members: member 0 stores each step (no reward normalization), member 1 holds its
    episode back until it ends (episode_return normalization)."""
    configs = [
        RunConfig(
            seed=seed,
            env=EnvConfig(max_episode_steps=EPISODE),
            reward_norm=RewardNormConfig(name=name),
            network=NetworkConfig(name="tiny", actor_hidden=[4], critic_hidden=[4]),
            trainer=TrainerConfig(total_steps=2000, eval_every=100, eval_episodes=1),
        )
        for seed, name in ((3, "none"), (4, "episode_return"))
    ]
    trainer = population_trainer(configs, [tmp_path / "0", tmp_path / "1"])
    envs = trainer.envs
    envs.to_start = [1, 0]
    envs.start_episodes()
    yield configs, envs
    trainer.close()


def _actions(step: int) -> np.ndarray:
    return np.array([[0.5 - 0.2 * step], [-0.3 + 0.1 * step]], np.float32)  # [K=2, A=1]


def test_steps_match_the_env_alone_and_only_unheld_transitions_reach_replay(member_envs):
    configs, envs = member_envs
    buffer = envs.c.replay_buffer
    for t in range(EPISODE - 1):
        assert envs.step(np.arange(2), _actions(t)) == []  # no episode ends before its limit
    assert buffer.sizes.tolist() == [EPISODE - 1, 0]
    assert len(envs.pending[1]) == EPISODE - 1
    for k, config in enumerate(configs):  # the first episode starts from the member's env seed
        alone = make_env(config.env)
        obs, _ = alone.reset(seed=int_seed(config.seed, Role.ENV))
        for t in range(EPISODE - 1):
            if k == 0:
                np.testing.assert_array_equal(buffer.obs[0, t], obs)
            obs, reward, *_ = alone.step(_actions(t)[k])
            if k == 0:
                assert buffer.reward[0, t] == np.float32(reward)
        np.testing.assert_array_equal(envs.obs[k], obs)
        assert envs.tapes[k].seed == int_seed(config.seed, Role.ENV)
        assert len(envs.tapes[k].actions) == EPISODE - 1


def test_an_ended_episode_is_stored_whole_and_the_next_starts_at_the_next_step(member_envs):
    _, envs = member_envs
    for t in range(EPISODE - 1):
        envs.step(np.arange(2), _actions(t))
    ended = envs.step(np.arange(2), _actions(EPISODE - 1))
    assert [k for k, _ in ended] == [0, 1]  # both truncated at the time limit
    envs.end_episodes(ended)
    buffer = envs.c.replay_buffer
    assert buffer.sizes.tolist() == [EPISODE, EPISODE] and envs.pending[1] == []
    returns = buffer.reward[1, :EPISODE]  # discounted returns, standardized over the episode
    assert abs(returns.mean()) < 1e-5 and returns.std() == pytest.approx(1.0, rel=1e-3)
    assert envs.tapes == [None, None] and sorted(envs.to_start) == [0, 1]
    assert [s.step for s in envs.states] == [EPISODE, EPISODE]  # episodes: the records count them
    envs.start_episodes()
    assert envs.to_start == [] and all(len(tape.actions) == 0 for tape in envs.tapes)
    assert envs.tapes[0].seed is None  # later episodes continue the env's own generator
