"""Known-answer tests of the DDPG math on hand-sized, constant-initialised networks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ddpg.config import AgentConfig, ConfigError, NetworkConfig
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


def _batch(obs: np.ndarray, action: np.ndarray, reward: np.ndarray) -> Batch:
    return Batch(obs, action, reward, obs[::-1].copy(), np.zeros(len(obs), np.float32))


def test_returned_action_is_the_updated_actors():
    learner = _constant_learner(gamma=0.9)
    learner.actor_optimizer.learning_rate.assign(0.1)  # a visible step
    obs = np.array([[1.0, 2.0, 3.0], [0.5, 1.0, 0.0]], np.float32)
    next_obs = np.array([0.3, 0.2, 0.1], np.float32)
    before = learner.act(next_obs)
    batch = _batch(obs, np.full((2, 1), 0.5, np.float32), np.ones(2, np.float32))
    next_action, _ = learner.train_and_act([batch], [obs], next_obs)
    after = learner.act(next_obs)
    np.testing.assert_array_equal(next_action, after)
    assert abs(float(next_action[0] - before[0])) > 1e-3


def _bn_learner(critic_lr: float = 1e-3, tau: float = 0.5) -> Learner:
    network = NetworkConfig(
        actor_hidden=[1], critic_hidden=[1], actor_batch_norm=True, critic_batch_norm=True
    )
    actor = build_actor(network, obs_dim=3, action_dim=1, seed=0)
    critic = build_critic(network, obs_dim=3, action_dim=1, seed=0)
    for model in (actor, critic):  # kernels 0.5, biases 0; BatchNorm gamma 1, beta 0, mean 0, var 1
        model.set_weights([np.full_like(w, 0.5) if w.ndim == 2 else w for w in model.get_weights()])
    config = AgentConfig(batch_size=4, gamma=0.9, tau=tau, critic_lr=critic_lr)
    return Learner(actor, critic, config, obs_dim=3, action_dim=1)


BN_OBS = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0], [3.0, 3.0, 0.0]], np.float32)
BN_ACTION = np.array([[1.0], [-1.0], [0.5], [0.0]], np.float32)


def _batch_norm(x: np.ndarray) -> np.ndarray:
    """Keras BatchNormalization in training mode, gamma 1, beta 0, epsilon 1e-3."""
    return (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)


def test_batchnorm_moving_statistics_move_once_per_update_and_targets_copy_them():
    learner = _bn_learner(tau=0.5)
    target_before = [w.numpy().copy() for w in learner.target_critic.trainable_weights]
    batch = _batch(BN_OBS, BN_ACTION, np.ones(4, np.float32))
    learner.train_and_act([batch], [BN_OBS], BN_OBS[0])
    mean, variance = learner.critic.non_trainable_weights
    # One training-mode pass per update (momentum 0.99 from mean 0, variance 1); the actor
    # loss's pass must not move them a second time.
    np.testing.assert_allclose(mean.numpy(), 0.01 * BN_OBS.mean(0), rtol=1e-5)
    np.testing.assert_allclose(variance.numpy(), 0.99 + 0.01 * BN_OBS.var(0), rtol=1e-5)
    for model, target in (
        (learner.critic, learner.target_critic),
        (learner.actor, learner.target_actor),
    ):
        for online, copied in zip(
            model.non_trainable_weights, target.non_trainable_weights, strict=True
        ):
            np.testing.assert_array_equal(copied.numpy(), online.numpy())
    for online, target, before in zip(
        learner.critic.trainable_weights,
        learner.target_critic.trainable_weights,
        target_before,
        strict=True,
    ):
        np.testing.assert_allclose(
            target.numpy(), 0.5 * online.numpy() + 0.5 * before, rtol=1e-5, atol=1e-7
        )


def test_actor_loss_sees_the_critic_in_the_mode_it_was_trained_in():
    # A negligible critic step keeps Q as it was; the actor loss must then be -mean Q with the
    # critic normalizing this batch by its own statistics, as in the critic's update.
    learner = _bn_learner(critic_lr=1e-12)
    batch = _batch(BN_OBS, BN_ACTION, np.ones(4, np.float32))
    _, metrics = learner.train_and_act([batch], [BN_OBS], BN_OBS[0])
    normalized = _batch_norm(BN_OBS.astype(np.float64))
    policy = np.tanh(0.5 * np.maximum(0.5 * normalized.sum(-1), 0.0))
    q_pi = 0.5 * np.maximum(0.5 * (normalized.sum(-1) + policy), 0.0)
    assert metrics[1] == pytest.approx(-q_pi.mean(), rel=1e-4)


def test_weight_decay_adds_decay_times_kernel_to_the_critic_gradient():
    # All-zero inputs give the first critic kernel a zero TD-loss gradient, so its gradient is
    # the decay term alone, weight_decay * W; Adam's first moment after one step is 0.1 * g.
    zeros = np.zeros((2, 3), np.float32)
    batch = Batch(
        zeros, np.zeros((2, 1), np.float32), np.ones(2, np.float32), zeros, np.zeros(2, np.float32)
    )
    for decay in (0.0, 0.2):
        learner = _constant_learner(gamma=0.9)
        learner.config.critic_weight_decay = decay
        learner.__init__(learner.actor, learner.critic, learner.config, 3, 1)
        learner.train_and_act([batch], [zeros], zeros[0])
        (momentum,) = [
            v
            for v in learner.critic_optimizer.variables
            if v.path.endswith("hidden_0_kernel_momentum")
        ]
        np.testing.assert_allclose(momentum.numpy(), 0.1 * decay * 0.5, rtol=1e-5)


def test_weight_decay_on_a_critic_without_kernels_is_an_error():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(), initializer="ones", name="w")

        def call(self, x):
            return self.w * x[:, :1]

    obs, action = keras.Input((3,)), keras.Input((1,))
    critic = keras.Model([obs, action], Scale()(keras.layers.Concatenate()([obs, action])))
    actor = build_actor(NetworkConfig(actor_hidden=[1]), obs_dim=3, action_dim=1, seed=0)
    with pytest.raises(ConfigError, match="agent.critic_weight_decay=0.01"):
        Learner(actor, critic, AgentConfig(critic_weight_decay=0.01), obs_dim=3, action_dim=1)
