"""Known-answer tests of the DDPG math on hand-sized, constant-initialised networks."""

import numpy as np
import pytest
import tensorflow as tf

from ddpg.config import AgentConfig, NetworkConfig
from ddpg.learner import Learner, actor_loss, critic_loss, l2_penalty, soft_update, td_target
from ddpg.networks import build_actor, build_critic
from ddpg.replay import Batch


def test_td_target_bootstraps_unless_terminated():
    reward = tf.constant([1.0, 1.0])
    terminated = tf.constant([0.0, 1.0])
    next_q = tf.constant([10.0, 10.0])
    # 1 + 0.9 * 10 = 10 while running (or truncated); just r at termination.
    np.testing.assert_allclose(td_target(reward, terminated, next_q, 0.9), [10.0, 1.0])


def test_critic_and_actor_loss_known_values():
    q, y = tf.constant([1.0, 3.0]), tf.constant([2.0, 1.0])
    assert float(critic_loss(q, y)) == pytest.approx((1.0 + 4.0) / 2)
    assert float(actor_loss(tf.constant([1.0, 3.0]))) == pytest.approx(-2.0)


def test_l2_penalty_is_half_decay_times_squared_norm():
    kernels = [tf.Variable([[1.0, 2.0]]), tf.Variable([[3.0]])]
    assert float(l2_penalty(kernels, 0.1)) == pytest.approx(0.5 * 0.1 * (1 + 4 + 9))
    assert float(l2_penalty(kernels, 0.0)) == 0.0


def test_soft_update_moves_target_by_tau():
    target, source = [tf.Variable([0.0, 10.0])], [tf.Variable([1.0, 0.0])]
    soft_update(target, source, 0.1)
    np.testing.assert_allclose(target[0].numpy(), [0.1, 9.0])


def _constant_learner(gamma: float, critic_lr: float = 1e-3, tau: float = 0.5) -> Learner:
    network = NetworkConfig(actor_hidden=[1], critic_hidden=[1])
    actor = build_actor(network, obs_dim=3, action_dim=1, seed=0)
    critic = build_critic(network, obs_dim=3, action_dim=1, seed=0)
    for model in (actor, critic):  # every kernel 0.5, every bias 0
        model.set_weights(
            [np.full_like(w, 0.5 if w.ndim == 2 else 0.0) for w in model.get_weights()]
        )
    config = AgentConfig(
        batch_size=2, gamma=gamma, tau=tau, critic_lr=critic_lr, compile=True, jit_compile=True
    )
    return Learner(actor, critic, config, obs_dim=3, action_dim=1)


def _hand_actor(obs: np.ndarray) -> np.ndarray:
    return np.tanh(0.5 * np.maximum(0.5 * obs.sum(-1), 0.0))


def _hand_critic(obs: np.ndarray, action: np.ndarray) -> np.ndarray:
    return 0.5 * np.maximum(0.5 * (obs.sum(-1) + action), 0.0)


def test_update_reports_critic_loss_of_the_td_target_and_actor_loss():
    # A negligible critic step size keeps Q unchanged between the critic and actor updates,
    # so both losses can be computed by hand from the constant networks.
    learner = _constant_learner(gamma=0.9, critic_lr=1e-12)
    obs = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], np.float32)
    action = np.array([[1.0], [-1.0]], np.float32)
    next_obs = np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]], np.float32)
    reward = np.array([1.0, -1.0], np.float32)
    terminated = np.array([0.0, 1.0], np.float32)
    batch = Batch(obs, action, reward, next_obs, terminated)
    q = _hand_critic(obs, action[:, 0])  # [1.75, 0.0]
    next_q = _hand_critic(next_obs, _hand_actor(next_obs))
    y = reward + 0.9 * (1 - terminated) * next_q
    expected_critic = np.mean((q - y) ** 2)
    expected_actor = -np.mean(_hand_critic(obs, _hand_actor(obs)))
    next_action, metrics = learner.train_and_act([batch], [obs], obs[0])
    assert metrics[0] == pytest.approx(expected_critic, rel=1e-5)
    assert metrics[1] == pytest.approx(expected_actor, rel=1e-4)
    assert metrics[2] == pytest.approx(q.mean(), rel=1e-5)
    assert next_action.shape == (1,)


def test_update_moves_targets_toward_online_networks():
    learner = _constant_learner(gamma=0.9, tau=0.5)
    before = [w.copy() for w in learner.target_critic.get_weights()]
    obs = np.ones((2, 3), np.float32)
    batch = Batch(
        obs, np.zeros((2, 1), np.float32), np.ones(2, np.float32), obs, np.zeros(2, np.float32)
    )
    learner.train_and_act([batch], [obs], obs[0])
    online, target = learner.critic.get_weights(), learner.target_critic.get_weights()
    for b, o, t in zip(before, online, target, strict=True):
        np.testing.assert_allclose(t, 0.5 * o + 0.5 * b, rtol=1e-5, atol=1e-7)


def test_eager_and_compiled_updates_agree():
    results = []
    for compiled in (True, False):
        learner = _constant_learner(gamma=0.99)
        learner.config.compile = compiled
        learner.__init__(learner.actor, learner.critic, learner.config, 3, 1)
        obs = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], np.float32)
        batch = Batch(
            obs,
            np.full((2, 1), 0.5, np.float32),
            np.ones(2, np.float32),
            obs,
            np.zeros(2, np.float32),
        )
        results.append(learner.train_and_act([batch], [obs], obs[0])[1])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
