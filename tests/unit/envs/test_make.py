"""make_env: action rescaling, observation normalization, clear errors for unusable envs."""

import warnings

import numpy as np
import pytest

from ddpg.config.schema import ConfigError, EnvConfig
from ddpg.envs.make import make_env


def test_actions_are_rescaled_from_unit_box_to_env_bounds():
    env = make_env(EnvConfig(id="Pendulum-v1"))
    assert env.action_space.low[0] == -1.0 and env.action_space.high[0] == 1.0
    env.reset(seed=0)
    env.step(np.array([1.0], np.float32))
    assert env.unwrapped.last_u == pytest.approx(2.0)  # Pendulum's max torque


def test_bounds_obs_norm_maps_to_unit_interval():
    env = make_env(EnvConfig(id="MountainCarContinuous-v0", obs_norm="bounds"))
    obs, _ = env.reset(seed=0)
    raw = env.unwrapped.state
    low, high = env.unwrapped.observation_space.low, env.unwrapped.observation_space.high
    np.testing.assert_allclose(obs, (raw - low) / (high - low), rtol=1e-5)
    assert np.all((obs >= 0) & (obs <= 1))


def test_running_obs_norm_is_not_an_env_wrapper():
    # The agent normalizes (ddpg.algo.obs_norm) so that replay keeps raw observations.
    env = make_env(EnvConfig(id="Pendulum-v1", obs_norm="running"))
    obs, _ = env.reset(seed=0)
    np.testing.assert_allclose(obs, env.unwrapped._get_obs(), rtol=1e-6)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        (EnvConfig(id="NoSuchEnv-v0"), "env.id='NoSuchEnv-v0'"),
        (EnvConfig(id="CartPole-v1"), "continuous 1-D Box action"),
        (EnvConfig(id="Pendulum-v1", kwargs={"gravity_typo": 1}), "env.kwargs"),
    ],
)
def test_unusable_envs_raise_config_error_naming_the_key(config, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        make_env(config)


def test_a_deprecated_id_is_refused_without_gymnasiums_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (gymnasium's "out of date") fails the test
        with pytest.raises(ConfigError, match="env.id='Pendulum-v0' is invalid.*Pendulum-v1"):
            make_env(EnvConfig(id="Pendulum-v0"))


def test_an_unversioned_id_is_still_made_as_its_newest_version():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gymnasium says it took the newest version
        assert make_env(EnvConfig(id="Pendulum")).spec.id == "Pendulum-v1"


def test_mujoco_actions_are_rescaled_to_the_envs_bounds():
    env = make_env(EnvConfig(id="InvertedPendulum-v5"))  # its actuator range is [-3, 3]
    env.reset(seed=0)
    env.step(np.array([0.5], np.float32))
    assert env.unwrapped.data.ctrl[0] == pytest.approx(1.5)


def test_box2d_lunar_lander_is_the_continuous_one():
    env = make_env(EnvConfig(id="LunarLanderContinuous-v3"))
    assert env.unwrapped.continuous and env.action_space.shape == (2,)


def test_a_mujoco_gl_without_its_library_stops_before_mujoco_loads(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    monkeypatch.setattr("ddpg.envs.mujoco_gl.ctypes.util.find_library", lambda name: None)
    with pytest.raises(ConfigError, match=r"^MUJOCO_GL=osmesa needs libOSMesa"):
        make_env(EnvConfig(id="Hopper-v5"))
    make_env(EnvConfig(id="Pendulum-v1"))  # no MuJoCo, no OpenGL needed


def test_mujoco_warnings_go_to_python_not_to_a_log_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = make_env(EnvConfig(id="HalfCheetah-v5"))
    env.reset(seed=0)
    env.unwrapped.data.qvel[:] = np.nan  # MuJoCo warns of an unstable simulation
    with pytest.warns(UserWarning, match="MuJoCo: Nan, Inf or huge value in QVEL"):
        env.step(np.zeros(6, np.float32))  # from gymnasium's MujocoEnv, as settotalmass is
    env.close()
    assert not (tmp_path / "MUJOCO_LOG.TXT").exists()


def test_making_half_cheetah_emits_no_warning():
    """MuJoCo 4 finds 'settotalmass' deprecated in gymnasium's half_cheetah.xml at every build:
    that one message is filtered, nothing else."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_env(EnvConfig(id="HalfCheetah-v5")).close()
        make_env(EnvConfig(id="HalfCheetah-v5")).close()  # a second build warned as well
    assert [str(w.message) for w in caught] == []
