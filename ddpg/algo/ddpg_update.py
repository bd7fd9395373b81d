"""One DDPG update (Lillicrap et al. 2015, Algorithm 1) as a pure function of the members' rows.

Every tensor carries the member axis first (`# [N, B, O]`): the rows of the N members the step
updates (ddpg.algo.member_state). Each member's loss is its own (the members' losses are summed
only so one gradient call serves all: d(sum_j L_j)/dW_k = dL_k/dW_k), so no member's numbers
depend on another's.

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
import tensorflow as tf

from ddpg.algo.member_adam import MemberAdam, per_member
from ddpg.algo.member_state import MemberState


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
    target_weights: Sequence[tf.Tensor], source_weights: Sequence[tf.Tensor], tau: tf.Tensor
) -> list[tf.Tensor]:
    """theta'_k <- tau_k * theta_k + (1 - tau_k) * theta'_k for every member k."""
    updated = []
    for target, source in zip(target_weights, source_weights, strict=True):
        t = per_member(tau, target)
        updated.append(t * source + (1.0 - t) * target)
    return updated


def ddpg_update(
    models: tuple[keras.Model, keras.Model],
    optimizers: tuple[MemberAdam, MemberAdam],
    is_kernel: Sequence[bool],
    s: MemberState,
    batch: Sequence[tf.Tensor],
) -> tuple[MemberState, tf.Tensor]:
    """One DDPG update of the members of `s` (rows [N, ...]), through `models` (the actor's
    and critic's graph for N members) and `optimizers` (the actor's and critic's Adam; their
    `step` alone is used): the members' new state and metrics [N, 3]. `is_kernel`: which of
    the critic's trainable weights weight decay applies to.

    `batch`: obs, actor_obs [N, B, O]; action [N, B, A]; reward [N, B]; next_obs [N, B, O];
    terminated [N, B].
    """
    actor, critic = models
    actor_optimizer, critic_optimizer = optimizers
    obs, actor_obs, action, reward, next_obs, terminated = batch
    next_action, _ = actor.stateless_call(
        s.target_actor, s.target_actor_stats, next_obs, training=False
    )  # [N, B, A]
    next_q, _ = critic.stateless_call(
        s.target_critic, s.target_critic_stats, [next_obs, next_action], training=False
    )
    y = td_target(reward, terminated, next_q[..., 0], s.gamma)  # [N, B]
    with tf.GradientTape() as tape:
        tape.watch(s.critic)
        q, critic_stats = critic.stateless_call(
            s.critic, s.critic_stats, [obs, action], training=True
        )
        q = q[..., 0]  # [N, B]
        loss_q = critic_loss(q, y)  # [N]
        kernels = [w for w, is_kernel in zip(s.critic, is_kernel, strict=True) if is_kernel]
        total = tf.reduce_sum(loss_q + l2_penalty(kernels, s.weight_decay))
    grads = tape.gradient(total, s.critic)
    q_mean = tf.reduce_mean(q, axis=-1)  # [N]
    critic_weights, critic_adam = critic_optimizer.step(grads, s.critic, s.critic_adam, s.critic_lr)
    with tf.GradientTape() as tape:
        tape.watch(s.actor)
        policy_action, actor_stats = actor.stateless_call(
            s.actor, s.actor_stats, actor_obs, training=True
        )  # [N, B, A]
        # Training mode as in the critic's own update; its statistics updates are dropped.
        q_pi, _ = critic.stateless_call(
            critic_weights, critic_stats, [obs, policy_action], training=True
        )
        loss_pi = actor_loss(q_pi[..., 0])  # [N]
        total = tf.reduce_sum(loss_pi)
    grads = tape.gradient(total, s.actor)
    actor_weights, actor_adam = actor_optimizer.step(grads, s.actor, s.actor_adam, s.actor_lr)
    new = s._replace(
        actor=actor_weights,
        actor_stats=list(actor_stats),
        critic=critic_weights,
        critic_stats=list(critic_stats),
        # Targets soft-update their trainable weights and copy the moving statistics.
        target_actor=soft_update(s.target_actor, actor_weights, s.tau),
        target_actor_stats=list(actor_stats),
        target_critic=soft_update(s.target_critic, critic_weights, s.tau),
        target_critic_stats=list(critic_stats),
        actor_adam=actor_adam,
        critic_adam=critic_adam,
    )
    return new, tf.stack([loss_q, loss_pi, q_mean], axis=-1)  # [N, 3]
