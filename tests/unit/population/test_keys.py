"""ddpg.population.keys: what members may vary, and how a sweep's jobs become populations."""

from __future__ import annotations

import dataclasses

import pytest

from ddpg.config.schema import AgentConfig, NetworkConfig, NoiseConfig, RunConfig, TrainerConfig
from ddpg.launch.job import params_of
from ddpg.population.keys import (
    MEMBER_KEYS,
    group_jobs,
    may_differ,
    mismatched_keys,
    shared_params,
)


def params(**changes: object) -> dict:
    """params.json of the default RunConfig with dotted-key changes."""
    flat = params_of(RunConfig())
    for key, value in changes.items():
        key = key.replace("__", ".")
        assert key in flat, key
        flat[key] = value
    return flat


def test_member_keys_cover_hyperparameters_and_whole_groups() -> None:
    for key in ("seed", "agent.tau", "noise.sigma", "noise.name", "reward_norm.gamma"):
        assert may_differ(key), key
    for key in ("resume", "trainer.progress", "population.size", "env.obs_norm"):
        assert may_differ(key), key
    for key in ("agent.batch_size", "network.actor_hidden", "env.id", "trainer.total_steps"):
        assert not may_differ(key), key
    assert not may_differ("noise_extra")  # a prefix covers its subkeys, not similar names
    assert not may_differ("seeds")


def test_every_member_key_is_a_real_config_key() -> None:
    keys = params_of(RunConfig())
    for member_key in MEMBER_KEYS:
        assert any(k == member_key or k.startswith(member_key + ".") for k in keys), member_key


def test_shared_params_leave_out_member_keys() -> None:
    shared = shared_params(params(agent__tau=0.1, seed=3))
    assert "agent.tau" not in shared and "seed" not in shared
    assert shared["agent.batch_size"] == 128


def test_jobs_differing_only_in_member_keys_are_one_population() -> None:
    jobs = [
        params(seed=0, agent__tau=0.001),
        params(seed=1, agent__tau=0.005, noise__name="ou", reward_norm__name="running"),
        params(seed=2, env__obs_norm="running", trainer__progress=False, resume="x"),
        params(agent__actor_lr=1e-4, agent__critic_lr=1e-4, network__input_noise_std=0.1),
    ]
    assert group_jobs(jobs, 64) == [[0, 1, 2, 3]]
    assert mismatched_keys(jobs) == []


def test_a_shape_or_schedule_difference_splits_populations_in_sweep_order() -> None:
    jobs = [
        params(network__actor_hidden=[64, 64], seed=0),
        params(network__actor_hidden=[256, 256], seed=0),
        params(network__actor_hidden=[64, 64], seed=1),
        params(network__actor_hidden=[256, 256], seed=1),
        params(trainer__total_steps=5, seed=0),
    ]
    assert group_jobs(jobs, 64) == [[0, 2], [1, 3], [4]]
    assert mismatched_keys(jobs) == ["network.actor_hidden", "trainer.total_steps"]


def test_large_groups_split_into_balanced_consecutive_populations() -> None:
    jobs = [params(seed=i) for i in range(10)]
    assert group_jobs(jobs, 4) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert group_jobs(jobs, 5) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert group_jobs(jobs, 1) == [[i] for i in range(10)]
    assert group_jobs(jobs, 100) == [list(range(10))]
    assert group_jobs([], 4) == []


def test_grouping_is_deterministic_and_ignores_key_order() -> None:
    a = params(agent__batch_size=64, seed=0)
    b = dict(reversed(list(params(agent__batch_size=64, seed=1).items())))
    c = params(seed=2)
    assert group_jobs([a, c, b], 2) == [[0, 2], [1]]
    assert group_jobs([a, c, b], 2) == group_jobs([a, c, b], 2)


def test_every_populated_group_shares_its_config_exactly() -> None:
    configs = [
        RunConfig(seed=s, agent=AgentConfig(tau=t, batch_size=b), noise=NoiseConfig(sigma=n))
        for s in (0, 1)
        for t in (0.001, 0.01)
        for b in (32, 64)
        for n in (0.1, 0.2)
    ]
    configs.append(dataclasses.replace(configs[0], network=NetworkConfig(actor_hidden=[8]), seed=9))
    configs.append(dataclasses.replace(configs[0], trainer=TrainerConfig(threads=2)))
    jobs = [params_of(c) for c in configs]
    populations = group_jobs(jobs, 3)
    assert sorted(i for p in populations for i in p) == list(range(len(jobs)))
    for population in populations:
        assert len(population) <= 3
        assert population == sorted(population)
        assert mismatched_keys([jobs[i] for i in population]) == []
    assert sorted(len(p) for p in populations) == [1, 1, 2, 2, 3, 3, 3, 3]  # 8 + 8 + 1 + 1


def test_max_members_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_members=0"):
        group_jobs([params()], 0)
