"""Config: every option of every group composes, validates and builds; bad values name their key;
from_mapping converts types as OmegaConf does and rejects non-finite floats."""

import dataclasses
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from ddpg.config.schema import (
    ConfigError,
    EnvConfig,
    NetworkConfig,
    RunConfig,
    flatten,
    from_mapping,
)
from ddpg.config.structured import field_type
from ddpg.population.build import build
from ddpg.run import to_run_config

CONF = Path(__file__).resolve().parents[3] / "conf"
GROUPS = ("agent", "network", "noise", "env", "reward_norm")
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]
OPTIONS.remove(("env", "gym"))  # needs env.id; tested on its own below
ENV_OPTIONS = sorted(p.stem for p in (CONF / "env").glob("*.yaml") if p.stem != "gym")
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def compose_run(*overrides: str) -> RunConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return to_run_config(compose("config", overrides=list(overrides)))


@pytest.mark.parametrize(("group", "option"), OPTIONS)
def test_every_group_option_composes_and_builds(group, option):
    config = compose_run(f"{group}={option}", "agent.buffer_size=10000", "agent.batch_size=8")
    assert getattr(config, group).name == option
    components = build([config])
    obs, _ = components.envs[0].reset(seed=0)
    action = components.agent.policy_action(obs[None], np.array([0]), explore=True)[0]
    assert action.shape == components.envs[0].action_space.shape
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
    assert pendulum.env.kwargs == {} and pendulum.trainer.early_stop == "ema"
    assert build([pendulum]).envs[0].unwrapped.g == 10.0  # gymnasium's default is the seed's g
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


# Each env option's own settings: id, budget, eval cadence, noise scale, random warm-up, solved
# score (the spec's reward_threshold, except Pendulum's -200, which is the project's criterion).
ENV_SETTINGS = {
    "pendulum": ("Pendulum-v1", 20_000, 2000, 10, 0.1, 1000, -200.0),
    "mountaincar": ("MountainCarContinuous-v0", 100_000, 10_000, 10, 0.5, 1000, 90.0),
    "halfcheetah": ("HalfCheetah-v5", 1_000_000, 5000, 10, 0.1, 10_000, 4800.0),
    "hopper": ("Hopper-v5", 1_000_000, 5000, 10, 0.1, 1000, 3800.0),
    "walker2d": ("Walker2d-v5", 1_000_000, 5000, 10, 0.1, 1000, None),
    "ant": ("Ant-v5", 1_000_000, 5000, 10, 0.1, 10_000, 6000.0),
    "inverted_pendulum": ("InvertedPendulum-v5", 1_000_000, 5000, 10, 0.1, 1000, 950.0),
    "inverted_double_pendulum": (
        "InvertedDoublePendulum-v5",
        1_000_000,
        5000,
        10,
        0.1,
        1000,
        9100.0,
    ),
    "reacher": ("Reacher-v5", 1_000_000, 5000, 10, 0.1, 1000, -3.75),
    "lunarlander": ("LunarLanderContinuous-v3", 300_000, 5000, 10, 0.1, 10_000, 200.0),
    "bipedalwalker": ("BipedalWalker-v3", 1_000_000, 10_000, 10, 0.1, 10_000, 300.0),
}


def test_every_env_option_is_listed_with_its_settings():
    assert sorted(ENV_SETTINGS) == ENV_OPTIONS


@pytest.mark.parametrize("option", ENV_OPTIONS)
def test_env_options_state_their_own_settings_and_the_agent_follows(option):
    config = compose_run(f"env={option}")
    env = config.env
    assert (env.name, env.kwargs) == (option, {})
    settings = (env.id, env.total_steps, env.eval_every, env.eval_episodes)
    settings += (env.exploration_sigma, env.warmup_steps, env.solved_score)
    assert settings == ENV_SETTINGS[option]
    trainer = config.trainer
    assert (trainer.total_steps, trainer.eval_every, trainer.eval_episodes) == settings[1:4]
    assert config.noise.sigma == env.exploration_sigma
    assert config.agent.learning_starts == env.warmup_steps  # agent=ddpg (the default)
    assert compose_run(f"env={option}", "agent=td3_ddpg").agent.learning_starts == env.warmup_steps
    assert compose_run(f"env={option}", "agent=ddpg_paper").agent.learning_starts == 64


@pytest.mark.parametrize("option", ENV_OPTIONS)
def test_an_options_settings_never_follow_another_env_id(option):
    other = "Hopper-v5" if option != "hopper" else "Walker2d-v5"
    assert compose_run(f"env={option}", f"env.id={other}") == compose_run(
        "env=gym", f"env.id={other}"
    )


def test_env_id_alone_describes_that_env():
    # The case: on the default option (pendulum), only the id changes.
    car = compose_run("env.id=MountainCarContinuous-v0")
    assert dataclasses.asdict(car.env) == {
        "name": "mountain_car_continuous_v0",
        "id": "MountainCarContinuous-v0",
        "kwargs": {},  # nothing of Pendulum's
        "obs_norm": "none",
        "max_episode_steps": None,
        "total_steps": 1_000_000,  # the stated generic budget (conf/env/gym.yaml)
        "eval_every": 5000,
        "eval_episodes": 10,
        "solved_score": 90.0,  # the spec's, not Pendulum's -200
        "random_score": -33.3714,  # ddpg/config/env_scores.py, not Pendulum's
        "reference_score": 90.0,
        "exploration_sigma": 0.1,
        "warmup_steps": 1000,
    }
    assert compose_run("env.id=Walker2d-v5").env.solved_score is None  # the spec has none


def test_keys_set_beside_the_id_still_win():
    config = compose_run("env.id=Walker2d-v5", "env.solved_score=3000", "env.total_steps=5000")
    assert (config.env.solved_score, config.trainer.total_steps) == (3000.0, 5000)
    assert compose_run("env=mountaincar", "env.name=car").env.name == "car"


def test_the_generic_option_needs_an_id():
    with pytest.raises(ConfigError, match=r"^env\.id is required: expected a string$"):
        compose_run("env=gym")
    config = compose_run("env=gym", "env.id=Pendulum-v1")
    assert (config.env.name, config.env.solved_score) == ("pendulum_v1", None)
    assert config.env.total_steps == EnvConfig().total_steps  # gym.yaml states the defaults


def test_early_stop_needs_a_score_to_stop_at():
    with pytest.raises(ConfigError, match=r"^trainer\.early_stop='eval' needs a score"):
        compose_run("env.id=Walker2d-v5", "trainer.early_stop=eval")
    config = compose_run("env.id=Walker2d-v5", "trainer.early_stop=eval", "trainer.target_score=1")
    assert config.trainer.target_score == 1.0


def test_td3_protocol_preset():
    config = compose_run("+experiment=td3_protocol", "env=halfcheetah")
    assert (config.agent.name, config.network.name, config.noise.name) == (
        "td3_ddpg",
        "mlp400_300",
        "gaussian",
    )
    assert (config.agent.batch_size, config.agent.tau, config.noise.sigma) == (100, 5e-3, 0.1)
    trainer = config.trainer
    assert (trainer.total_steps, trainer.eval_every, trainer.eval_episodes) == (1_000_000, 5000, 10)
    assert config.agent.learning_starts == 10_000  # HalfCheetah's warm-up, as in the paper
    assert compose_run("+experiment=td3_protocol", "env=hopper").agent.learning_starts == 1000


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
    ("env.random_score=inf", "env.random_score"),
    ("env.reference_score=-1250.45", "env.reference_score"),  # Pendulum's random score: no scale
    ("env.warmup_steps=-1", "env.warmup_steps"),
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


def test_a_budget_that_ends_before_learning_starts_is_refused_naming_both_keys():
    # The case: LunarLander warms up for 10,000 steps, so 2,000 would never train.
    with pytest.raises(ConfigError) as refused:
        compose_run("env=lunarlander", "trainer.total_steps=2000")
    assert str(refused.value) == (
        "trainer.total_steps=2000 is invalid: the agent would never train, as its first update "
        "waits for agent.learning_starts=10000 steps (raise trainer.total_steps above 10000 or "
        "lower agent.learning_starts)"
    )
    with pytest.raises(ConfigError, match=r"total_steps=1000 .* agent\.learning_starts=1000 "):
        compose_run("env=pendulum", "trainer.total_steps=1000")  # the last step is 999
    assert compose_run("env=pendulum", "trainer.total_steps=1001").trainer.total_steps == 1001
    # Below the batch size the first update waits for a full batch instead.
    with pytest.raises(ConfigError, match=r"waits for agent\.batch_size=128 steps"):
        compose_run("agent.learning_starts=0", "trainer.total_steps=128")
    # A resume trains with the run's saved config: the defaults composed beside `resume=` (here
    # learning_starts=1000) say nothing about the run's own warm-up, so they are not checked.
    resume = compose_run("resume=outputs/runs/a_run", "trainer.total_steps=400")
    assert (resume.resume, resume.trainer.total_steps) == ("outputs/runs/a_run", 400)


def test_learning_starts_beyond_the_replay_capacity_is_refused():
    with pytest.raises(ConfigError, match=r"agent\.learning_starts=1000 is invalid: .*=500\]"):
        compose_run("agent.buffer_size=500", "agent.learning_starts=1000")


def test_dict_observation_space_is_rejected():
    class DictObsEnv(gym.Env):
        observation_space = gym.spaces.Dict({"x": gym.spaces.Box(-1, 1, (2,))})
        action_space = gym.spaces.Box(-1, 1, (1,))

    gym.register("DictObsTest-v0", entry_point=lambda **kwargs: DictObsEnv())
    with pytest.raises(ConfigError, match="flat 1-D Box observation"):
        build([from_mapping(RunConfig, {"env": {"id": "DictObsTest-v0"}})])


# from_mapping: OmegaConf's structured-config conversion, pinned down type by type.


def test_a_config_round_trips_through_a_plain_mapping():
    config = RunConfig(seed=7, network=NetworkConfig(actor_hidden=[8, 4], final_init=0.003))
    config.env.kwargs = {"g": 9.81, "nested": {"xs": [1, 2]}}
    assert from_mapping(RunConfig, dataclasses.asdict(config)) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agent": {"tau": "abc"}}, "agent.tau='abc' is invalid: expected a finite number"),
        ({"agent": {"tau": True}}, "agent.tau=True is invalid: expected a finite number"),
        ({"agent": {"batch_size": 3.0}}, "agent.batch_size=3.0 is invalid: expected an integer"),
        (
            {"agent": {"compile": "maybe"}},
            "agent.compile='maybe' is invalid: expected true or false",
        ),
        ({"env": {"id": None}}, "env.id=None is invalid: expected a string"),
        ({"agent": 5}, "agent=5 is invalid: expected a group of keys"),
        ({"network": {"actor_hidden": 16}}, "network.actor_hidden=16 is invalid: expected a list"),
        (
            {"network": {"actor_hidden": [16, 2.5]}},
            "network.actor_hidden[1]=2.5 is invalid: expected an integer",
        ),
        (
            {"network": {"final_init": "x"}},
            "network.final_init='x' is invalid: expected a finite number or null",
        ),
        ({"env": {"kwargs": 5}}, "env.kwargs=5 is invalid: expected a mapping"),
        ({"seed": -1}, "seed=-1 is invalid: expected an integer in [0, 2**31)"),  # __post_init__
    ],
)
def test_wrong_types_are_one_line_errors_naming_the_key(data, message):
    with pytest.raises(ConfigError) as error:
        from_mapping(RunConfig, data)
    assert str(error.value) == message


def test_conversions_omegaconf_makes():
    config = from_mapping(
        RunConfig,
        {
            "agent": {"tau": 1, "batch_size": "7", "compile": 0, "jit_compile": "yes"},
            "network": {"final_init": None, "actor_hidden": [8, "4"]},
            "noise": {"final_sigma": 0.05},
        },
    )
    assert config.agent.tau == 1.0 and isinstance(config.agent.tau, float)  # int -> float
    assert config.agent.batch_size == 7  # a numeric string -> int (as a Hydra override gives)
    assert config.agent.compile is False and config.agent.jit_compile is True  # 0, "yes" -> bool
    assert config.network.final_init is None and config.noise.final_sigma == 0.05  # float | None
    assert config.network.actor_hidden == [8, 4]  # list[int] items converted one by one
    assert isinstance(config.network.actor_hidden, list)  # plain containers, not OmegaConf's


def test_free_form_mappings_pass_as_given():
    kwargs = {"g": 9.81, "nested": {"xs": [1, 2]}, "inf_ok": math.inf}
    env = from_mapping(RunConfig, {"env": {"kwargs": kwargs}}).env
    assert env.kwargs == kwargs and type(env.kwargs) is dict
    assert type(env.kwargs["nested"]) is dict and type(env.kwargs["nested"]["xs"]) is list


def float_keys(cls: type, prefix: str = "") -> list[str]:
    """Every dotted key of `cls` declared float or float | None."""
    keys = []
    for f in dataclasses.fields(cls):
        hint = field_type(cls, f.name)
        if dataclasses.is_dataclass(hint):
            keys += float_keys(hint, f"{prefix}{f.name}.")
        elif hint in (float, float | None):
            keys.append(prefix + f.name)
    return keys


FLOAT_KEYS = float_keys(RunConfig)


def nested(key: str, value: object) -> dict:
    for part in reversed(key.split(".")):
        value = {part: value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "-inf"])
@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_every_float_setting_rejects_non_finite_values(key, value):
    with pytest.raises(ConfigError) as error:
        from_mapping(RunConfig, nested(key, value))
    assert str(error.value) == f"{key}={float(value)!r} is invalid: expected a finite number"


def test_float_keys_cover_every_group():
    assert {"agent.tau", "network.final_init", "noise.mu", "env.solved_score"} <= set(FLOAT_KEYS)
    assert {"reward_norm.epsilon", "trainer.target_score"} <= set(FLOAT_KEYS)


def test_unknown_keys_list_the_known_ones_under_the_prefix():
    with pytest.raises(ConfigError) as error:
        from_mapping(RunConfig, {"reward_norm": {"scal": 2.0}})
    assert str(error.value) == (
        "reward_norm.scal is not a known key (known: name, scale, gamma, epsilon)"
    )
    with pytest.raises(ConfigError, match=r"^env\.idd is not a known key \(known: name, id, "):
        from_mapping(EnvConfig, {"idd": "Pendulum-v1"}, "env.")


def test_a_required_value_is_never_replaced_by_the_default():
    # OmegaConf's merge would read `???` as "not given" and keep EnvConfig's Pendulum-v1.
    with pytest.raises(ConfigError) as error:
        from_mapping(RunConfig, {"env": {"id": "???"}})
    assert str(error.value) == "env.id is required: expected a string"


def test_a_missing_required_key_is_named():
    @dataclasses.dataclass
    class Needs:
        path: Path
        count: int = 1

    assert from_mapping(Needs, {"path": "a/b"}) == Needs(Path("a/b"))
    with pytest.raises(ConfigError) as error:
        from_mapping(Needs, {"count": 2})
    assert str(error.value) == "path is required: expected a path"


def test_flatten_gives_dotted_keys():
    data = {"seed": 1, "agent": {"tau": 0.1}, "env": {"kwargs": {}, "id": "X"}}
    assert flatten(data) == {"seed": 1, "agent.tau": 0.1, "env.kwargs": {}, "env.id": "X"}


def test_the_reproduction_sweep_runs_the_td3_protocol_on_seven_tasks_and_ten_seeds():
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "config", overrides=["+experiment=td3_reproduction"], return_hydra_config=True
        )
    params = cfg.hydra.sweeper.params
    envs = params.env.split(",")
    assert len(envs) == 7 and params.seed == "range(10)"
    for env in envs:
        config = compose_run("+experiment=td3_reproduction", f"env={env}")
        assert (config.agent.name, config.network.name) == ("td3_ddpg", "mlp400_300")
        assert (config.trainer.total_steps, config.trainer.eval_every) == (1_000_000, 5000)
        assert config.trainer.eval_episodes == 10 and config.noise.sigma == 0.1
        warmup = 10_000 if env in ("halfcheetah", "ant") else 1000
        assert config.agent.learning_starts == warmup, env
