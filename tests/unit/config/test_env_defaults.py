"""What an env config derives from its id: snake-case names, spec thresholds, for_id/from_id."""

from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from ddpg.config import env_scores
from ddpg.config.env_defaults import derived, env_name, spec_threshold
from ddpg.config.measure_random_scores import option_ids
from ddpg.config.schema import EnvConfig


@pytest.mark.parametrize(
    ("env_id", "name"),
    [
        ("Pendulum-v1", "pendulum_v1"),
        ("MountainCarContinuous-v0", "mountain_car_continuous_v0"),
        ("HalfCheetah-v5", "half_cheetah_v5"),
        ("InvertedDoublePendulum-v5", "inverted_double_pendulum_v5"),
        ("Walker2d-v5", "walker2d_v5"),
        ("LunarLanderContinuous-v3", "lunar_lander_continuous_v3"),
        ("ALE/Pong-v5", "ale_pong_v5"),
        ("my_pkg.envs:Thing-v0", "my_pkg_envs_thing_v0"),
    ],
)
def test_env_name_is_the_id_in_snake_case(env_id, name):
    assert env_name(env_id) == name


@pytest.mark.parametrize(
    ("env_id", "threshold"),
    [
        ("MountainCarContinuous-v0", 90.0),
        ("Hopper-v5", 3800.0),
        ("Reacher-v5", -3.75),
        ("LunarLanderContinuous-v3", 200.0),
        ("Pendulum-v1", None),  # the spec has none: never solved unless an option says so
        ("Walker2d-v5", None),
        ("NoSuchEnv-v0", None),  # make_env reports the id; composing must not fail first
    ],
)
def test_spec_threshold_is_the_registered_reward_threshold(env_id, threshold):
    assert spec_threshold(env_id) == threshold


def test_other_keys_derive_to_the_generic_defaults():
    generic = EnvConfig()
    assert derived("total_steps", "Ant-v5") == generic.total_steps == 1_000_000
    assert derived("warmup_steps", "Ant-v5") == generic.warmup_steps == 1000
    assert derived("kwargs", "Ant-v5") == {}
    with pytest.raises(ValueError, match="whole env key"):
        derived("g", "Pendulum-v1")


def env_node(**values):
    return OmegaConf.create({"env": values, "uses": "${env.total_steps}"})


def test_for_id_holds_only_for_its_own_id():
    cfg = env_node(
        id="Pendulum-v1",
        name="${for_id:Pendulum-v1,pendulum}",
        solved_score="${for_id:Pendulum-v1,-200.0}",
        total_steps="${for_id:Pendulum-v1,20000}",
        kwargs="${for_id:Pendulum-v1,{g: 9.81}}",
    )
    own = OmegaConf.to_container(cfg, resolve=True)
    assert own["env"] == {
        "id": "Pendulum-v1",
        "name": "pendulum",
        "solved_score": -200.0,
        "total_steps": 20000,
        "kwargs": {"g": 9.81},
    }
    assert own["uses"] == 20000  # what other groups interpolate follows too
    cfg.env.id = "Hopper-v5"  # as `env.id=Hopper-v5` on the command line
    other = OmegaConf.to_container(cfg, resolve=True)
    assert other["env"] == {
        "id": "Hopper-v5",
        "name": "hopper_v5",
        "solved_score": 3800.0,
        "total_steps": 1_000_000,
        "kwargs": {},
    }
    assert other["uses"] == 1_000_000


def test_from_id_is_none_while_the_id_is_missing():
    cfg = env_node(id="???", name="${from_id:}", solved_score="${from_id:}", total_steps=5)
    assert OmegaConf.to_container(cfg, resolve=True)["env"]["name"] is None
    cfg.env.id = "Reacher-v5"
    resolved = OmegaConf.to_container(cfg, resolve=True)["env"]
    assert (resolved["name"], resolved["solved_score"]) == ("reacher_v5", -3.75)


def test_a_python_env_config_derives_its_name_and_has_no_solved_score():
    env = EnvConfig(id="Ant-v5")
    assert env.name == "ant_v5" and env.solved_score is None
    assert EnvConfig(id="Ant-v5", name="ant").name == "ant"


def test_every_env_option_has_a_random_and_a_reference_score():
    ids = option_ids()
    assert len(ids) == 11 and "Pendulum-v1" in ids
    for env_id in ids:
        random, reference = derived("random_score", env_id), derived("reference_score", env_id)
        assert isinstance(random, float) and isinstance(reference, float)
        assert reference > random, env_id  # a normalized 1 is better than random everywhere
    assert derived("random_score", "Swimmer-v5") is None  # not measured: compare says so
    assert derived("reference_score", "Swimmer-v5") is None


def test_random_scores_are_the_committed_measurement():
    measured = pd.read_csv(Path(env_scores.__file__).with_name(env_scores.RANDOM_SCORE_FILE))
    assert dict(zip(measured["env_id"], measured["random_score"], strict=True)) == (
        env_scores.RANDOM_SCORES
    )
    assert (measured["episodes"] == 100).all()
