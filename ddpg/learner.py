"""DDPG learning (Lillicrap et al. 2015, Algorithm 1): losses, targets and the compiled step.

The math is plain functions, tested against hand-computed numbers. `Learner` wires them into one
compiled call per env step that performs the update(s) and returns the next action of the
updated actor, so the Python <-> TF boundary is crossed once per step. Inputs travel packed in
one flat float32 vector and outputs come back in another.

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

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from ddpg.config import AgentConfig, ConfigError
from ddpg.replay import Batch

#: Names of the metrics `Learner.train_and_act` returns, in order.
METRIC_KEYS = ("loss/critic", "loss/actor", "q/mean")


def td_target(
    reward: tf.Tensor, terminated: tf.Tensor, next_q: tf.Tensor, gamma: float
) -> tf.Tensor:
    """y = r + gamma * (1 - terminated) * Q'(s', mu'(s')).

    Only true termination stops bootstrapping; a time-limit truncation still bootstraps.
    All arguments are [B].
    """
    return reward + gamma * (1.0 - terminated) * next_q


def critic_loss(q: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Mean squared TD error, L = mean((Q(s, a) - y)^2), with y held constant."""
    return tf.reduce_mean(tf.square(q - tf.stop_gradient(y)))


def actor_loss(q_of_policy: tf.Tensor) -> tf.Tensor:
    """Deterministic policy gradient objective, L = -mean(Q(s, mu(s))) (Silver et al. 2014)."""
    return -tf.reduce_mean(q_of_policy)


def l2_penalty(kernels: Sequence[tf.Variable], weight_decay: float) -> tf.Tensor:
    """0.5 * weight_decay * sum ||W||^2 over kernels: the paper's L2 decay on Q's weights."""
    if weight_decay == 0.0 or not kernels:
        return tf.constant(0.0)
    return 0.5 * weight_decay * tf.add_n([tf.reduce_sum(tf.square(k)) for k in kernels])


def soft_update(
    target_weights: Sequence[tf.Variable], source_weights: Sequence[tf.Variable], tau: float
) -> None:
    """theta' <- tau * theta + (1 - tau) * theta', for every given weight."""
    for target, source in zip(target_weights, source_weights, strict=True):
        target.assign(tau * source + (1.0 - tau) * target)


def update_target(target: keras.Model, source: keras.Model, tau: float) -> None:
    """Soft-update the trainable weights; copy the rest (BatchNorm moving statistics)."""
    soft_update(target.trainable_weights, source.trainable_weights, tau)
    for target_stat, source_stat in zip(
        target.non_trainable_weights, source.non_trainable_weights, strict=True
    ):
        target_stat.assign(source_stat)


class Learner:
    """Owns actor, critic, their targets and optimizers; updates them from replay batches."""

    def __init__(
        self,
        actor: keras.Model,
        critic: keras.Model,
        config: AgentConfig,
        obs_dim: int,
        action_dim: int,
    ) -> None:
        self.actor = actor
        self.critic = critic
        self.target_actor = keras.models.clone_model(actor)
        self.target_critic = keras.models.clone_model(critic)
        self.target_actor.set_weights(actor.get_weights())
        self.target_critic.set_weights(critic.get_weights())
        self.actor_optimizer = keras.optimizers.Adam(config.actor_lr)
        self.critic_optimizer = keras.optimizers.Adam(config.critic_lr)
        self.actor_optimizer.build(actor.trainable_variables)
        self.critic_optimizer.build(critic.trainable_variables)
        self.config = config
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self._kernels = [w for w in critic.trainable_variables if "kernel" in w.path]
        if config.critic_weight_decay > 0 and not self._kernels:
            raise ConfigError(
                f"agent.critic_weight_decay={config.critic_weight_decay} is invalid for this "
                "critic: none of its variables is a kernel, so there is nothing to decay"
            )
        batch = config.batch_size
        # Per update: obs, actor_obs (obs + input noise), next_obs [B, O]; action [B, A];
        # reward, terminated [B]. Then the observation to act on [O].
        self._update_size = batch * (3 * obs_dim + action_dim + 2)
        packed_size = config.updates_per_step * self._update_size + obs_dim
        self._train_and_act = self._compile(self._train_and_act_packed, packed_size)
        self._act = self._compile(self._act_packed, obs_dim)

    def _compile(self, fn: Callable[[tf.Tensor], tf.Tensor], size: int) -> Callable:
        if not self.config.compile:
            return lambda packed: fn(tf.constant(packed))
        compiled = tf.function(fn, jit_compile=self.config.jit_compile)
        concrete = compiled.get_concrete_function(tf.TensorSpec([size], tf.float32))
        # The public call re-binds arguments in Python (~0.15 ms, a fifth of a Pendulum step);
        # the flat entry takes the tensor as is. Fall back if a TF release drops it.
        call_flat = getattr(concrete, "_call_flat", None)
        if call_flat is None:
            return concrete
        captured = concrete.captured_inputs
        return lambda packed: call_flat([tf.constant(packed)], captured)

    def _update(
        self,
        obs: tf.Tensor,
        actor_obs: tf.Tensor,
        action: tf.Tensor,
        reward: tf.Tensor,
        next_obs: tf.Tensor,
        terminated: tf.Tensor,
    ) -> tf.Tensor:
        next_action = self.target_actor(next_obs, training=False)  # [B, A]
        next_q = self.target_critic([next_obs, next_action], training=False)[:, 0]  # [B]
        y = td_target(reward, terminated, next_q, self.config.gamma)
        with tf.GradientTape() as tape:
            q = self.critic([obs, action], training=True)[:, 0]
            loss_q = critic_loss(q, y)
            total = loss_q + l2_penalty(self._kernels, self.config.critic_weight_decay)
        critic_vars = self.critic.trainable_variables
        grads = tape.gradient(total, critic_vars)
        self.critic_optimizer.apply_gradients(zip(grads, critic_vars, strict=True))
        with tf.GradientTape() as tape:
            policy_action = self.actor(actor_obs, training=True)  # [B, A]
            # Training mode as in the critic's own update; its statistics updates are dropped.
            q_pi, _ = self.critic.stateless_call(
                self.critic.trainable_variables,
                self.critic.non_trainable_variables,
                [obs, policy_action],
                training=True,
            )
            loss_pi = actor_loss(q_pi[:, 0])
        actor_vars = self.actor.trainable_variables
        grads = tape.gradient(loss_pi, actor_vars)
        self.actor_optimizer.apply_gradients(zip(grads, actor_vars, strict=True))
        update_target(self.target_actor, self.actor, self.config.tau)
        update_target(self.target_critic, self.critic, self.config.tau)
        return tf.stack([loss_q, loss_pi, tf.reduce_mean(q)])

    def _train_and_act_packed(self, packed: tf.Tensor) -> tf.Tensor:
        b, o, a = self.config.batch_size, self.obs_dim, self.action_dim
        metrics = []
        for k in range(self.config.updates_per_step):  # unrolled at trace time
            chunk = packed[k * self._update_size : (k + 1) * self._update_size]
            obs, actor_obs, next_obs, action, reward, terminated = tf.split(
                chunk, [b * o, b * o, b * o, b * a, b, b]
            )
            metrics.append(
                self._update(
                    tf.reshape(obs, [b, o]),
                    tf.reshape(actor_obs, [b, o]),
                    tf.reshape(action, [b, a]),
                    reward,
                    tf.reshape(next_obs, [b, o]),
                    terminated,
                )
            )
        act_obs = tf.reshape(packed[-o:], [1, o])
        next_action = self.actor(act_obs, training=False)[0]
        return tf.concat([next_action, tf.reduce_mean(tf.stack(metrics), axis=0)], axis=0)

    def _act_packed(self, obs: tf.Tensor) -> tf.Tensor:
        return self.actor(tf.reshape(obs, [1, self.obs_dim]), training=False)[0]

    def _stateful(self) -> dict[str, list]:
        return {
            "actor": self.actor.weights,
            "critic": self.critic.weights,
            "target_actor": self.target_actor.weights,
            "target_critic": self.target_critic.weights,
            "actor_optimizer": self.actor_optimizer.variables,
            "critic_optimizer": self.critic_optimizer.variables,
        }

    def state(self) -> dict[str, np.ndarray]:
        """Every weight and optimizer variable as arrays named `<part>/<index>`."""
        return {
            f"{part}/{i}": np.array(v.numpy())
            for part, variables in self._stateful().items()
            for i, v in enumerate(variables)
        }

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what `state` returned (same architecture and optimizers)."""
        for part, variables in self._stateful().items():
            for i, v in enumerate(variables):
                v.assign(arrays[f"{part}/{i}"])

    def act(self, obs: np.ndarray) -> np.ndarray:
        """mu(obs) for one observation [O] -> [A], inference mode."""
        return np.asarray(self._act(np.asarray(obs, np.float32)))

    def train_and_act(
        self, batches: Sequence[Batch], actor_obs: Sequence[np.ndarray], next_obs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run one update per batch, then act on `next_obs` with the updated actor.

        Args:
            batches: `updates_per_step` replay batches, rewards already normalized.
            actor_obs: per batch, the observations the actor sees (obs plus its input noise).
            next_obs: the observation to act on next [O].

        Returns:
            The next deterministic action [A] and the metrics named by METRIC_KEYS, averaged
            over the updates.
        """
        parts: list[np.ndarray] = []
        for batch, noisy_obs in zip(batches, actor_obs, strict=True):
            parts += [batch.obs, noisy_obs, batch.next_obs, batch.action]
            parts += [batch.reward, batch.terminated]
        parts.append(next_obs)
        packed = np.concatenate([np.ravel(p) for p in parts]).astype(np.float32, copy=False)
        out = np.asarray(self._train_and_act(packed))
        return out[: self.action_dim], out[self.action_dim :]
