"""Config: every option of every group composes, validates and builds; bad values name their key."""

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from ddpg.build import build
from ddpg.config import ConfigError, RunConfig, from_mapping
from ddpg.run import to_run_config

CONF = Path(__file__).resolve().parents[2] / "conf"
GROUPS = ("agent", "network", "noise", "env", "reward_norm")
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def compose_run(*overrides: str) -> RunConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return to_run_config(compose("config", overrides=list(overrides)))


@pytest.mark.parametrize(("group", "option"), OPTIONS)
def test_every_group_option_composes_and_builds(group, option):
    config = compose_run(f"{group}={option}", "agent.buffer_size=1000", "agent.batch_size=8")
    assert getattr(config, group).name == option
    components = build(config)
    obs, _ = components.env.reset(seed=0)
    action = components.agent.policy_action(obs, explore=True)
    assert action.shape == components.env.action_space.shape
    assert np.all(np.abs(action) <= 1.0)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_preset_composes(experiment):
    overrides = [f"+experiment={experiment}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    if "hydra" in cfg and cfg.get("hydra", {}).get("sweeper"):
        cfg.pop("hydra")
    config = to_run_config(cfg)
    assert config.trainer.total_steps > 0


def test_seed_presets_carry_the_seed_settings():
    pendulum = compose_run("+experiment=seed_pendulum")
    assert (pendulum.agent.tau, pendulum.agent.buffer_size, pendulum.agent.batch_size) == (
        1e-3,
        2000,
        64,
    )
    assert (pendulum.noise.name, pendulum.noise.sigma, pendulum.noise.dt) == ("ou", 0.2, 0.1)
    assert pendulum.env.kwargs == {"g": 10.0} and pendulum.trainer.early_stop == "ema"
    car = compose_run("+experiment=seed_mountaincar")
    assert (car.agent.actor_lr, car.agent.critic_lr, car.agent.gamma) == (5e-5, 5e-4, 0.999)
    assert (car.network.name, car.noise.name, car.reward_norm.name) == (
        "selu32_bn",
        "none",
        "episode_return",
    )
    assert car.env.obs_norm == "bounds" and car.trainer.max_episodes == 100


def test_env_sets_the_noise_scale_it_needs():
    assert compose_run("env=mountaincar", "noise=ou").noise.sigma == 0.5
    assert compose_run("env=pendulum").noise.sigma == 0.1
    assert compose_run("env=mountaincar", "noise=ou", "noise.sigma=0.3").noise.sigma == 0.3


BAD_VALUES = [
    ("agent.actor_lr=0", "agent.actor_lr"),
    ("agent.critic_lr=-1e-3", "agent.critic_lr"),
    ("agent.actor_lr=nan", "agent.actor_lr"),
    ("agent.critic_lr=inf", "agent.critic_lr"),
    ("agent.tau=0", "agent.tau"),
    ("agent.tau=1.5", "agent.tau"),
    ("agent.gamma=1.0", "agent.gamma"),
    ("agent.gamma=-0.1", "agent.gamma"),
    ("agent.batch_size=0", "agent.batch_size"),
    ("agent.buffer_size=0", "agent.buffer_size"),
    ("agent.learning_starts=-1", "agent.learning_starts"),
    ("trainer.total_steps=-5", "trainer.total_steps"),
    ("noise.sigma=-0.1", "noise.sigma"),
    ("noise.theta=0", "noise.theta"),
    ("noise.dt=-1", "noise.dt"),
    ("reward_norm=scale", None),  # valid; the next line is not
    ("reward_norm.scale=0", "reward_norm.scale"),
    ("trainer.eval_episodes=0", "trainer.eval_episodes"),
    ("env.solved_score=nan", "env.solved_score"),
    ("agent.tau=abc", "agent.tau"),
    ("+agent.no_such_key=1", "agent.no_such_key"),
]


@pytest.mark.parametrize(("override", "key"), BAD_VALUES)
def test_bad_values_raise_config_error_naming_the_key(override, key):
    if key is None:
        compose_run(override)
        return
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        compose_run(override)


def test_batch_larger_than_buffer_is_rejected():
    with pytest.raises(ConfigError, match="agent.batch_size"):
        compose_run("agent.buffer_size=10", "agent.batch_size=64")


def test_dict_observation_space_is_rejected():
    class DictObsEnv(gym.Env):
        observation_space = gym.spaces.Dict({"x": gym.spaces.Box(-1, 1, (2,))})
        action_space = gym.spaces.Box(-1, 1, (1,))

    gym.register("DictObsTest-v0", entry_point=lambda **kwargs: DictObsEnv())
    with pytest.raises(ConfigError, match="flat 1-D Box observation"):
        build(from_mapping(RunConfig, {"env": {"id": "DictObsTest-v0"}}))
