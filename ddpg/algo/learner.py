"""DDPG learning (Lillicrap et al. 2015, Algorithm 1) for a population of K members at once.

Every tensor carries the member axis first (`# [K, B, O]`); a single run is K = 1. Members share
an architecture and batch size, nothing else: each has its own weights, targets and Adam state,
and its own learning rates, tau, gamma and critic weight decay, held in variables [K] that the
compiled step reads at run time (a new value never retraces it). Each member's loss is its own
(the members' losses are summed only so one gradient call serves all: d(sum_j L_j)/dW_k =
dL_k/dW_k), so no member's numbers depend on another's.

`Learner` wires the math into one compiled call per env step that performs the update(s) of the
members told to update and returns every member's next action from its updated actor. The
members told not to update (warming up, finished, or frozen by the trainer after a loss or Q
turned NaN/inf) keep their weights, optimizer state and targets exactly.

BatchNorm (network.actor_batch_norm / critic_batch_norm) has one meaning per network role:
- Online networks learn in training mode: each replay batch is normalized with its own
  statistics, and that forward pass (once per update) moves the moving mean/variance.
- The actor loss evaluates Q(s, mu(s)) with the critic in the same training mode, on the same
  observation batch, that the critic was just fitted in, so the actor climbs the Q function
  the critic learned; that pass leaves the critic's moving statistics untouched.
- Target networks and acting run in inference mode on moving statistics. Targets soft-update
  their trainable weights with tau but copy the online moving statistics: averaging those from
  their initial mean 0 / variance 1 would feed the TD target inputs scaled off by orders of
  magnitude for thousands of updates.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ddpg.algo.member_adam import MemberAdam, assign_where, per_member
from ddpg.algo.packed_step import MaskableStep, compile_flat, pack_step, packed_size, unpack_step
from ddpg.algo.replay import Batch
from ddpg.config.schema import AgentConfig, ConfigError

#: Names of the per-member metrics `Learner.train_and_act` returns, in order.
METRIC_KEYS = ("loss/critic", "loss/actor", "q/mean")


def td_target(
    reward: tf.Tensor, terminated: tf.Tensor, next_q: tf.Tensor, gamma: tf.Tensor
) -> tf.Tensor:
    """y = r + gamma * (1 - terminated) * Q'(s', mu'(s')), [K, B] with gamma [K].

    Only true termination stops bootstrapping; a time-limit truncation still bootstraps.
    """
    return reward + gamma[:, None] * (1.0 - terminated) * next_q


def critic_loss(q: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean squared TD error per member, L = mean_B((Q(s, a) - y)^2), y held constant: [K]."""
    return tf.reduce_mean(tf.square(q - tf.stop_gradient(y)), axis=-1)


def actor_loss(q_of_policy: tf.Tensor) -> tf.Tensor:
    """Deterministic policy gradient objective per member, L = -mean_B(Q(s, mu(s))): [K]."""
    return -tf.reduce_mean(q_of_policy, axis=-1)


def l2_penalty(kernels: Sequence[tf.Variable], weight_decay: tf.Tensor) -> tf.Tensor:
    """0.5 * weight_decay[k] * sum ||W_k||^2 over member k's kernels (the paper's L2 on Q): [K]."""
    if not kernels:
        return tf.zeros_like(weight_decay)
    squares = [tf.reduce_sum(tf.square(w), axis=list(range(1, len(w.shape)))) for w in kernels]
    return 0.5 * weight_decay * tf.add_n(squares)


def soft_update(
    target_weights: Sequence[tf.Variable],
    source_weights: Sequence[tf.Variable],
    tau: tf.Tensor,
    update: tf.Tensor | None = None,
) -> None:
    """theta'_k <- tau_k * theta_k + (1 - tau_k) * theta'_k where `update` holds (None: all)."""
    for target, source in zip(target_weights, source_weights, strict=True):
        t = per_member(tau, target)
        assign_where(target, update, t * source + (1.0 - t) * target)


def update_target(
    target: keras.Model, source: keras.Model, tau: tf.Tensor, update: tf.Tensor | None = None
) -> None:
    """Soft-update the trainable weights; copy the rest (BatchNorm moving statistics)."""
    soft_update(target.trainable_weights, source.trainable_weights, tau, update)
    for target_stat, source_stat in zip(
        target.non_trainable_weights, source.non_trainable_weights, strict=True
    ):
        assign_where(target_stat, update, source_stat)


class Learner:
    """Owns K members' actors, critics, their targets and optimizers; updates them together."""

    def __init__(
        self,
        actor: keras.Model,
        critic: keras.Model,
        target_actor: keras.Model,
        target_critic: keras.Model,
        configs: Sequence[AgentConfig],
        obs_dim: int,
        action_dim: int,
    ) -> None:
        """Member models (ddpg.algo.member_layers) with each member's initial weights already in
        place; the targets start as copies. `configs[k]` is member k's; batch size, updates per step
        and the compile switches are the population's (equal in every member)."""
        self.actor, self.critic = actor, critic
        self.target_actor, self.target_critic = target_actor, target_critic
        self.target_actor.set_weights(actor.get_weights())
        self.target_critic.set_weights(critic.get_weights())
        self.members = k = len(configs)
        self.compiled_functions: list = []
        self.config = configs[0]
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.actor_optimizer = MemberAdam(actor.trainable_variables, k)
        self.critic_optimizer = MemberAdam(critic.trainable_variables, k)
        zeros = np.zeros(k, np.float32)
        self.tau, self.gamma = tf.Variable(zeros), tf.Variable(zeros)
        self.weight_decay = tf.Variable(zeros)
        self._kernels = [w for w in critic.trainable_variables if "kernel" in w.path]
        for member, config in enumerate(configs):
            self.set_hyperparameters(member, config)
        shape = (k, self.config.batch_size, obs_dim, action_dim)
        self._packed_size = packed_size(self.config.updates_per_step, *shape)
        self._packed = np.zeros(self._packed_size, np.float32)  # reused: tf.constant copies it
        cfg = self.config
        compiling = (cfg.compile, cfg.jit_compile, self.compiled_functions)
        self.train_and_act_step = MaskableStep(
            self._train_and_act_packed, self._packed_size, *compiling
        )
        self._act = compile_flat(self._act_packed, k * obs_dim, *compiling)

    def set_hyperparameters(self, member: int, config: AgentConfig) -> None:
        """Member `member` learns with `config`'s learning rates, tau, gamma and weight decay."""
        if config.critic_weight_decay > 0 and not self._kernels:
            raise ConfigError(
                f"agent.critic_weight_decay={config.critic_weight_decay} is invalid for this "
                "critic: none of its variables is a kernel, so there is nothing to decay"
            )
        for variable, value in (
            (self.actor_optimizer.learning_rate, config.actor_lr),
            (self.critic_optimizer.learning_rate, config.critic_lr),
            (self.tau, config.tau),
            (self.gamma, config.gamma),
            (self.weight_decay, config.critic_weight_decay),
        ):
            variable[member].assign(value)

    def _update(self, batch: Sequence[tf.Tensor], update: tf.Tensor | None) -> tf.Tensor:
        """One DDPG update of the members where `update` [K] holds (None: every member).

        `batch`: obs, actor_obs [K, B, O]; action [K, B, A]; reward [K, B]; next_obs [K, B, O];
        terminated [K, B].
        """
        obs, actor_obs, action, reward, next_obs, terminated = batch
        next_action = self.target_actor(next_obs, training=False)  # [K, B, A]
        next_q = self.target_critic([next_obs, next_action], training=False)[..., 0]  # [K, B]
        y = td_target(reward, terminated, next_q, self.gamma)
        critic, critic_vars = self.critic, self.critic.trainable_variables
        with tf.GradientTape() as tape:
            q, critic_stats = critic.stateless_call(
                critic_vars, critic.non_trainable_variables, [obs, action], training=True
            )
            q = q[..., 0]  # [K, B]
            loss_q = critic_loss(q, y)  # [K]
            total = tf.reduce_sum(loss_q + l2_penalty(self._kernels, self.weight_decay))
        grads = tape.gradient(total, critic_vars)
        q_mean = tf.reduce_mean(q, axis=-1)  # [K]
        self.critic_optimizer.apply(grads, critic_vars, update)
        for variable, value in zip(critic.non_trainable_variables, critic_stats, strict=True):
            assign_where(variable, update, value)
        actor, actor_vars = self.actor, self.actor.trainable_variables
        with tf.GradientTape() as tape:
            policy_action, actor_stats = actor.stateless_call(
                actor_vars, actor.non_trainable_variables, actor_obs, training=True
            )  # [K, B, A]
            # Training mode as in the critic's own update; its statistics updates are dropped.
            q_pi, _ = critic.stateless_call(
                critic.trainable_variables,
                critic.non_trainable_variables,
                [obs, policy_action],
                training=True,
            )
            loss_pi = actor_loss(q_pi[..., 0])  # [K]
            total = tf.reduce_sum(loss_pi)
        grads = tape.gradient(total, actor_vars)
        self.actor_optimizer.apply(grads, actor_vars, update)
        for variable, value in zip(actor.non_trainable_variables, actor_stats, strict=True):
            assign_where(variable, update, value)
        update_target(self.target_actor, actor, self.tau, update)
        update_target(self.target_critic, critic, self.tau, update)
        return tf.stack([loss_q, loss_pi, q_mean], axis=-1)  # [K, 3]

    def _train_and_act_packed(self, packed: tf.Tensor, masked: bool) -> tf.Tensor:
        cfg = self.config
        shape = (self.members, cfg.batch_size, self.obs_dim, self.action_dim)
        updates, update, act_obs = unpack_step(packed, cfg.updates_per_step, *shape)
        mask = update if masked else None  # [K]
        metrics = [self._update(batch, mask) for batch in updates]
        next_action = self.actor(act_obs, training=False)[:, 0]  # [K, A]
        mean_metrics = tf.reduce_mean(tf.stack(metrics), axis=0)  # [K, 3]
        return tf.concat([tf.reshape(next_action, [-1]), tf.reshape(mean_metrics, [-1])], 0)

    def _act_packed(self, obs: tf.Tensor) -> tf.Tensor:
        obs = tf.reshape(obs, [self.members, 1, self.obs_dim])  # [K, 1, O]
        return self.actor(obs, training=False)[:, 0]  # [K, A]

    def stateful(self) -> dict[str, list]:
        """Every variable a checkpoint holds, by part: weights, targets, optimizer states."""
        return {
            "actor": self.actor.weights,
            "critic": self.critic.weights,
            "target_actor": self.target_actor.weights,
            "target_critic": self.target_critic.weights,
            "actor_optimizer": self.actor_optimizer.variables,
            "critic_optimizer": self.critic_optimizer.variables,
        }

    def act(self, obs: np.ndarray) -> np.ndarray:
        """mu(obs) of every member, inference mode: [K, O] -> [K, A]."""
        packed = np.asarray(obs, np.float32).reshape(-1)
        return np.asarray(self._act(packed)).reshape(self.members, self.action_dim)

    def train_and_act(
        self,
        batches: Sequence[Batch],
        actor_obs: Sequence[np.ndarray],
        update: np.ndarray,
        next_obs: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Update the members where `update` [K] holds, one update per batch; then act.

        Args:
            batches: `updates_per_step` replay batches [K, B, ...], rewards already normalized
                (rows of members that do not update are ignored).
            actor_obs: per batch, the observations the actors see (obs plus input noise) [K, B, O].
            update: [K] bool, the members that learn from these batches.
            next_obs: the observation each member acts on next [K, O].

        Returns:
            Every member's next deterministic action [K, A] and its metrics [K, 3] (named by
            METRIC_KEYS, averaged over the updates; NaN or inf for a member that diverged).
        """
        packed = pack_step(self._packed, batches, actor_obs, update, next_obs)
        out = np.asarray(self.train_and_act_step(packed, all_update=bool(update.all())))
        k, a = self.members, self.action_dim
        return out[: k * a].reshape(k, a), out[k * a :].reshape(k, len(METRIC_KEYS))
