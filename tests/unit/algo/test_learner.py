"""The population learner: known answers on constant networks, and K members against K separate
updates of plain Keras models with keras.optimizers.Adam (the reference itself)."""

import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from ddpg.algo.ddpg_update import actor_loss, critic_loss, l2_penalty, soft_update, td_target
from ddpg.algo.learner import Learner
from ddpg.algo.member_layers import member_weights, set_member_weights
from ddpg.algo.networks import build_actor, build_critic
from ddpg.algo.replay import Batch
from ddpg.config.schema import AgentConfig, ConfigError, NetworkConfig
from ddpg.population.build import build_networks
from ddpg.population.member_checkpoint import learner_member_states

OBS_SIZE, ACTION_SIZE = 3, 1


def test_td_target_bootstraps_unless_terminated_with_each_members_gamma():
    reward = tf.constant([[1.0, 1.0], [1.0, 1.0]])
    terminated = tf.constant([[0.0, 1.0], [0.0, 1.0]])
    next_q = tf.constant([[10.0, 10.0], [10.0, 10.0]])
    y = td_target(reward, terminated, next_q, tf.constant([0.9, 0.5]))
    np.testing.assert_allclose(y, [[10.0, 1.0], [6.0, 1.0]])


def test_losses_are_per_member_means():
    q, y = tf.constant([[1.0, 3.0], [0.0, 0.0]]), tf.constant([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(critic_loss(q, y), [(1.0 + 4.0) / 2, (1.0 + 9.0) / 2])
    np.testing.assert_allclose(actor_loss(tf.constant([[1.0, 3.0], [2.0, 2.0]])), [-2.0, -2.0])


def test_l2_penalty_is_half_each_members_decay_times_its_squared_norm():
    kernels = [tf.Variable([[[1.0, 2.0]], [[0.0, 1.0]]]), tf.Variable([[[3.0]], [[2.0]]])]
    np.testing.assert_allclose(
        l2_penalty(kernels, tf.constant([0.1, 0.0])), [0.5 * 0.1 * (1 + 4 + 9), 0.0]
    )


def test_soft_update_moves_each_target_by_its_tau():
    target, source = [tf.constant([[0.0, 10.0], [0.0, 10.0]])], [tf.constant([[1.0, 0.0]] * 2)]
    (updated,) = soft_update(target, source, tf.constant([0.1, 0.5]))
    np.testing.assert_allclose(updated.numpy(), [[0.1, 9.0], [0.5, 5.0]])


def _learner(network: NetworkConfig, configs: list[AgentConfig], seeds=None) -> Learner:
    seeds = list(range(len(configs))) if seeds is None else seeds
    return Learner(
        *build_networks(network, OBS_SIZE, ACTION_SIZE, seeds), configs, OBS_SIZE, ACTION_SIZE
    )


def _constant_learner(gammas, critic_lr: float = 1e-3, tau: float = 0.5) -> Learner:
    network = NetworkConfig(actor_hidden=[1], critic_hidden=[1])
    configs = [AgentConfig(batch_size=2, gamma=g, tau=tau, critic_lr=critic_lr) for g in gammas]
    learner = _learner(network, configs)
    for model in (learner.actor, learner.critic, learner.target_actor, learner.target_critic):
        for v in model.weights:  # every kernel 0.5, every bias 0
            v.assign(np.full(v.shape, 0.5 if len(v.shape) == 3 else 0.0, np.float32))
    return learner


def _hand_actor(obs: np.ndarray) -> np.ndarray:
    return np.tanh(0.5 * np.maximum(0.5 * obs.sum(-1), 0.0))


def _hand_critic(obs: np.ndarray, action: np.ndarray) -> np.ndarray:
    return 0.5 * np.maximum(0.5 * (obs.sum(-1) + action), 0.0)


OBS = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], np.float32)
ACTION = np.array([[1.0], [-1.0]], np.float32)
NEXT_OBS = np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]], np.float32)
REWARD = np.array([1.0, -1.0], np.float32)
TERMINATED = np.array([0.0, 1.0], np.float32)


def _stacked(k: int) -> Batch:
    return Batch(*(np.stack([x] * k) for x in (OBS, ACTION, REWARD, NEXT_OBS, TERMINATED)))


def test_update_reports_each_members_losses_with_its_own_gamma():
    # A negligible critic step size keeps Q unchanged between the critic and actor updates.
    learner = _constant_learner(gammas=[0.9, 0.5], critic_lr=1e-12)
    batch = _stacked(2)
    next_action, metrics = learner.train_and_act(
        [batch], [batch.obs], np.ones(2, bool), np.stack([OBS[0]] * 2)
    )
    q = _hand_critic(OBS, ACTION[:, 0])  # [1.75, 0.0]
    next_q = _hand_critic(NEXT_OBS, _hand_actor(NEXT_OBS))
    for member, gamma in enumerate((0.9, 0.5)):
        y = REWARD + gamma * (1 - TERMINATED) * next_q
        assert metrics[member, 0] == pytest.approx(np.mean((q - y) ** 2), rel=1e-5)
        assert metrics[member, 1] == pytest.approx(-np.mean(_hand_critic(OBS, _hand_actor(OBS))))
        assert metrics[member, 2] == pytest.approx(q.mean(), rel=1e-5)
    assert next_action.shape == (2, 1)


def _random_batch(rng: np.random.Generator, k: int, b: int) -> Batch:
    def normal(*shape):
        return rng.standard_normal((k, b, *shape)).astype(np.float32)

    action = rng.uniform(-1, 1, (k, b, ACTION_SIZE)).astype(np.float32)
    terminated = (rng.uniform(size=(k, b)) < 0.2).astype(np.float32)
    return Batch(normal(OBS_SIZE), action, normal(), normal(OBS_SIZE), terminated)


class KerasReference:
    """One member trained the plain way: Keras Dense models, keras.optimizers.Adam, targets."""

    def __init__(self, network: NetworkConfig, config: AgentConfig, seed: int) -> None:
        self.actor = build_actor(network, OBS_SIZE, ACTION_SIZE, seed)
        self.critic = build_critic(network, OBS_SIZE, ACTION_SIZE, seed)
        self.target_actor = build_actor(network, OBS_SIZE, ACTION_SIZE, seed)
        self.target_critic = build_critic(network, OBS_SIZE, ACTION_SIZE, seed)
        self.actor_optimizer = keras.optimizers.Adam(config.actor_lr)
        self.critic_optimizer = keras.optimizers.Adam(config.critic_lr)
        self.config = config

    def update(self, *batch: np.ndarray) -> None:
        obs, action, reward, next_obs, terminated = (tf.constant(x) for x in batch)
        cfg = self.config
        next_q = self.target_critic([next_obs, self.target_actor(next_obs)])[:, 0]
        y = reward + cfg.gamma * (1 - terminated) * next_q
        kernels = [w for w in self.critic.trainable_variables if "kernel" in w.path]
        with tf.GradientTape() as tape:
            q = self.critic([obs, action], training=True)[:, 0]
            decay = 0.5 * cfg.critic_weight_decay * sum(tf.reduce_sum(k**2) for k in kernels)
            loss = tf.reduce_mean((q - y) ** 2) + decay
        grads = tape.gradient(loss, self.critic.trainable_variables)
        self.critic_optimizer.apply_gradients(
            zip(grads, self.critic.trainable_variables, strict=True)
        )
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(self.critic([obs, self.actor(obs, training=True)])[:, 0])
        grads = tape.gradient(loss, self.actor.trainable_variables)
        self.actor_optimizer.apply_gradients(
            zip(grads, self.actor.trainable_variables, strict=True)
        )
        for target, online in ((self.target_actor, self.actor), (self.target_critic, self.critic)):
            for t, s in zip(target.weights, online.weights, strict=True):
                t.assign(cfg.tau * s + (1 - cfg.tau) * t)


CONFIGS = [
    AgentConfig(batch_size=16, actor_lr=1e-3, critic_lr=2e-3, tau=0.01, gamma=0.99),
    AgentConfig(batch_size=16, actor_lr=3e-4, critic_lr=1e-3, tau=0.1, gamma=0.9),
    AgentConfig(
        batch_size=16, actor_lr=5e-3, critic_lr=5e-4, tau=0.5, gamma=0.5, critic_weight_decay=0.01
    ),
]


def test_members_match_separate_keras_updates_with_their_own_settings():
    network = NetworkConfig(actor_hidden=[16, 16], critic_hidden=[16, 16], action_insert_layer=1)
    seeds = [3, 11, 7]
    learner = _learner(network, CONFIGS, seeds)
    references = [KerasReference(network, c, s) for c, s in zip(CONFIGS, seeds, strict=True)]
    rng = np.random.default_rng(0)
    for _ in range(3):
        batch = _random_batch(rng, 3, 16)
        learner.train_and_act([batch], [batch.obs], np.ones(3, bool), batch.obs[:, 0])
        for k, reference in enumerate(references):
            reference.update(*(x[k] for x in batch))
    for k, reference in enumerate(references):
        for model, plain in (
            (learner.actor, reference.actor),
            (learner.critic, reference.critic),
            (learner.target_actor, reference.target_actor),
            (learner.target_critic, reference.target_critic),
        ):
            for ours, theirs in zip(member_weights(model, k), plain.get_weights(), strict=True):
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "update",
    [[True, False, True], [False, True, False], [True, True, False]],
    ids=["two-learn", "one-learns-padded-to-two", "first-two-learn"],
)
def test_members_not_updating_keep_everything_and_the_others_get_the_same_bits(update):
    """The step computes for the learning members alone (a member axis of 2 here, one learner
    repeated); their results are bit for bit those of the step where every member learns."""
    network = NetworkConfig(actor_hidden=[8], critic_hidden=[8])
    rng = np.random.default_rng(1)
    batches = [_random_batch(rng, 3, 16) for _ in range(2)]
    results = []
    for mask in (np.ones(3, bool), np.array(update)):
        learner = _learner(network, CONFIGS)
        before = [s.copy() for s in learner_member_states(learner)]
        metrics = []
        for batch in batches:
            _, step_metrics = learner.train_and_act([batch], [batch.obs], mask, batch.obs[:, 0])
            metrics.append(step_metrics)
        results.append((learner_member_states(learner), np.array(metrics), learner.member_axes))
    (everyone, everyone_metrics, _), (some, some_metrics, axes) = results
    assert axes == [3, 2]  # the step of every member (K = 3), then one of 2 members
    for k in range(3):
        expected = everyone[k] if update[k] else before[k]
        for name, value in expected.items():
            np.testing.assert_array_equal(some[k][name], value, err_msg=f"member {k} {name}")
        if update[k]:
            np.testing.assert_array_equal(some_metrics[:, k], everyone_metrics[:, k])


def test_new_hyperparameters_do_not_retrace_or_recompile():
    learner = _learner(NetworkConfig(actor_hidden=[8], critic_hidden=[8]), CONFIGS[:2])
    rng = np.random.default_rng(2)
    batch = _random_batch(rng, 2, 16)
    update = np.ones(2, bool)
    start = time.perf_counter()
    learner.train_and_act([batch], [batch.obs], update, batch.obs[:, 0])  # compiles
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(20):
        learner.set_hyperparameters(i % 2, CONFIGS[2] if i % 4 else CONFIGS[0])
        learner.train_and_act([batch], [batch.obs], update, batch.obs[:, 0])
    later = (time.perf_counter() - start) / 20
    assert [f.experimental_get_tracing_count() for f in learner.compiled_functions] == [1, 1]
    # An XLA recompile per call would cost about as much as the first call, every call.
    assert later < first / 10


def test_returned_action_is_the_updated_actors():
    learner = _constant_learner(gammas=[0.9])
    learner.actor_optimizer.learning_rate.assign([0.1])  # a visible step
    next_obs = np.array([[0.3, 0.2, 0.1]], np.float32)
    before = learner.act(next_obs)
    batch = _stacked(1)
    next_action, _ = learner.train_and_act([batch], [batch.obs], np.ones(1, bool), next_obs)
    np.testing.assert_array_equal(next_action, learner.act(next_obs))
    assert abs(float(next_action[0, 0] - before[0, 0])) > 1e-3


BN_OBS = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0], [3.0, 3.0, 0.0]], np.float32)
BN_ACTION = np.array([[1.0], [-1.0], [0.5], [0.0]], np.float32)


def _bn_learner(critic_lr: float = 1e-3, tau: float = 0.5) -> Learner:
    network = NetworkConfig(
        actor_hidden=[1], critic_hidden=[1], actor_batch_norm=True, critic_batch_norm=True
    )
    learner = _learner(
        network, [AgentConfig(batch_size=4, gamma=0.9, tau=tau, critic_lr=critic_lr)]
    )
    for model in (learner.actor, learner.critic, learner.target_actor, learner.target_critic):
        for v in model.trainable_weights:  # kernels 0.5, biases 0; BatchNorm gamma 1, beta 0
            if "kernel" in v.path:
                v.assign(np.full(v.shape, 0.5, np.float32))
    return learner


def _bn_batch() -> Batch:
    return Batch(
        BN_OBS[None],
        BN_ACTION[None],
        np.ones((1, 4), np.float32),
        BN_OBS[None, ::-1].copy(),
        np.zeros((1, 4), np.float32),
    )


def test_batchnorm_moving_statistics_move_once_per_update_and_targets_copy_them():
    learner = _bn_learner(tau=0.5)
    target_before = [w.numpy().copy() for w in learner.target_critic.trainable_weights]
    batch = _bn_batch()
    learner.train_and_act([batch], [batch.obs], np.ones(1, bool), BN_OBS[:1])
    mean, variance = learner.critic.non_trainable_weights
    # One training-mode pass per update (momentum 0.99 from mean 0, variance 1); the actor
    # loss's pass must not move them a second time.
    np.testing.assert_allclose(mean.numpy()[0], 0.01 * BN_OBS.mean(0), rtol=1e-5)
    np.testing.assert_allclose(variance.numpy()[0], 0.99 + 0.01 * BN_OBS.var(0), rtol=1e-5)
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
    batch = _bn_batch()
    _, metrics = learner.train_and_act([batch], [batch.obs], np.ones(1, bool), BN_OBS[:1])
    x = BN_OBS.astype(np.float64)
    normalized = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)  # Keras BN, training mode
    policy = np.tanh(0.5 * np.maximum(0.5 * normalized.sum(-1), 0.0))
    q_pi = 0.5 * np.maximum(0.5 * (normalized.sum(-1) + policy), 0.0)
    assert metrics[0, 1] == pytest.approx(-q_pi.mean(), rel=1e-4)


def test_member_batchnorm_matches_keras_batchnormalization_per_member():
    network = NetworkConfig(actor_hidden=[4], actor_batch_norm=True)
    seeds = [0, 1]
    actor = build_networks(network, OBS_SIZE, ACTION_SIZE, seeds)[0]
    x = np.random.default_rng(3).standard_normal((2, 5, OBS_SIZE)).astype(np.float32)
    ours = actor(x, training=True).numpy()
    for k, seed in enumerate(seeds):
        plain = build_actor(network, OBS_SIZE, ACTION_SIZE, seed)
        np.testing.assert_allclose(ours[k], plain(x[k], training=True), rtol=1e-5, atol=1e-6)
        for a, b in zip(member_weights(actor, k), plain.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6)  # moving statistics moved alike


def test_weight_decay_adds_decay_times_kernel_to_the_critic_gradient():
    # All-zero inputs give the first critic kernel a zero TD-loss gradient, so its gradient is
    # the decay term alone, weight_decay * W; Adam's first moment after one step is 0.1 * g.
    zeros = Batch(
        *(
            np.zeros((2, 2, *s), np.float32)
            for s in ((OBS_SIZE,), (ACTION_SIZE,), (), (OBS_SIZE,), ())
        )
    )
    learner = _constant_learner(gammas=[0.9, 0.9])
    learner.set_hyperparameters(1, AgentConfig(batch_size=2, critic_weight_decay=0.2))
    learner.train_and_act([zeros], [zeros.obs], np.ones(2, bool), zeros.obs[:, 0])
    first_kernel = learner.critic.trainable_variables.index(learner._kernels[0])
    momentum = learner.critic_optimizer.momentums[first_kernel].numpy()
    np.testing.assert_allclose(momentum[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(momentum[1], 0.1 * 0.2 * 0.5, rtol=1e-5)


def test_weight_decay_on_a_critic_without_kernels_is_an_error():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(), initializer="ones", name="w")

        def call(self, x):
            return self.w * x[..., :1]

    def critic():
        obs, action = keras.Input((None, OBS_SIZE)), keras.Input((None, ACTION_SIZE))
        return keras.Model([obs, action], Scale()(keras.layers.Concatenate()([obs, action])))

    network = NetworkConfig(actor_hidden=[1])
    actor, _, target_actor, _ = build_networks(network, OBS_SIZE, ACTION_SIZE, [0])
    with pytest.raises(ConfigError, match="agent.critic_weight_decay=0.01"):
        Learner(
            actor,
            critic(),
            target_actor,
            critic(),
            [AgentConfig(critic_weight_decay=0.01)],
            OBS_SIZE,
            ACTION_SIZE,
        )


def test_member_weights_round_trip_through_a_plain_model():
    network = NetworkConfig(actor_hidden=[4, 4])
    actor = build_networks(network, OBS_SIZE, ACTION_SIZE, [0, 1])[0]
    plain = build_actor(network, OBS_SIZE, ACTION_SIZE, seed=42)
    set_member_weights(actor, 1, plain.get_weights())
    for a, b in zip(member_weights(actor, 1), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((2, 3, OBS_SIZE)).astype(np.float32)
    np.testing.assert_allclose(actor(x)[1], plain(x[1]), rtol=1e-6)


def test_a_member_learns_the_same_alone_and_in_company():
    """1000 updates of seed 3 on the same batches: alone, beside one member, among eight. In a
    batch of members (K >= 2) its bits never depend on the others; alone (K = 1) XLA compiles
    its matmuls without the member axis and the last bit differs (3e-7 after one update), a
    difference that stays that small on fixed data."""
    network = NetworkConfig(actor_hidden=[16, 16], critic_hidden=[16, 16])
    rng = np.random.default_rng(4)
    batches = [_random_batch(rng, 1, 16) for _ in range(1000)]
    finals = {}
    for k in (1, 2, 8):
        learner = _learner(network, [AgentConfig(batch_size=16)] * k, [3, *range(10, 9 + k)])
        others = _random_batch(np.random.default_rng(5), k, 16)
        for batch in batches:
            mixed = Batch(*(np.concatenate([b, o[1:]]) for b, o in zip(batch, others, strict=True)))
            learner.train_and_act([mixed], [mixed.obs], np.ones(k, bool), mixed.obs[:, 0])
        finals[k] = learner_member_states(learner)[0]
    for name, value in finals[2].items():
        np.testing.assert_array_equal(finals[8][name], value, err_msg=name)
    worst = max(float(np.max(np.abs(finals[1][n] - v))) for n, v in finals[2].items())
    assert worst < 1e-5


def _trained_learner() -> Learner:
    """Three members after two updates: weights, targets and Adam state all moved."""
    learner = _learner(NetworkConfig(actor_hidden=[8], critic_hidden=[8]), CONFIGS)
    rng = np.random.default_rng(3)
    for _ in range(2):
        batch = _random_batch(rng, 3, 16)
        learner.train_and_act([batch], [batch.obs], np.ones(3, bool), batch.obs[:, 0])
    return learner


def test_reset_member_starts_it_over_and_leaves_the_others_alone():
    from ddpg.population.build import initial_weights

    network = NetworkConfig(actor_hidden=[8], critic_hidden=[8])
    learner = _trained_learner()
    before = learner_member_states(learner)
    actor, critic = initial_weights(network, OBS_SIZE, ACTION_SIZE, seed=7)
    learner.reset_member(1, actor, critic, CONFIGS[2])
    after = learner_member_states(learner)
    fresh = learner_member_states(_learner(network, CONFIGS[2:] * 2, seeds=[7, 7]))[0]
    for name, value in fresh.items():  # a fresh member with seed 7: weights, targets, zeros
        np.testing.assert_array_equal(after[1][name], value, err_msg=name)
    for k in (0, 2):
        for name, value in before[k].items():
            np.testing.assert_array_equal(after[k][name], value, err_msg=f"member {k} {name}")
    assert learner.tau.numpy()[1] == np.float32(CONFIGS[2].tau)
    assert [f.experimental_get_tracing_count() for f in learner.compiled_functions] == [1, 1]


def test_copy_member_gives_the_target_everything_of_the_source():
    learner = _trained_learner()
    before = learner_member_states(learner)
    learner.copy_member(0, 2)
    after = learner_member_states(learner)
    for name in before[0]:
        np.testing.assert_array_equal(after[2][name], before[0][name], err_msg=name)
        np.testing.assert_array_equal(after[0][name], before[0][name], err_msg=name)
        np.testing.assert_array_equal(after[1][name], before[1][name], err_msg=name)
    assert learner.gamma.numpy()[2] == learner.gamma.numpy()[0]
    assert learner.weight_decay.numpy()[2] == learner.weight_decay.numpy()[0]


def test_copy_member_covers_every_variable_a_checkpoint_holds():
    """copy_member copies the leaves of variables(): they are every checkpointed variable
    (stateful()) plus tau, gamma and weight decay, so nothing a member holds stays behind."""
    from ddpg.algo.member_state import raw

    learner = _trained_learner()
    leaves = {id(v) for v in tf.nest.flatten(learner.variables())}
    held = [raw(v) for part in learner.stateful().values() for v in part]
    held += [learner.tau, learner.gamma, learner.weight_decay]
    assert leaves == {id(v) for v in held}
