"""DDPG learning (Lillicrap et al. 2015, Algorithm 1) for a population of K members at once.

Every tensor carries the member axis first (`# [K, B, O]`); a single run is K = 1. Members share
an architecture and batch size, nothing else: each has its own weights, targets and Adam state,
and its own learning rates, tau, gamma and critic weight decay, held in variables [K] that the
compiled step reads at run time (a new value never retraces it). The update's math is
ddpg.algo.ddpg_update's.

`Learner` wires the math into one compiled call per env step that performs the update(s) of the
members told to update and returns every member's next action from its updated actor. The
update is a pure function of the members' rows (ddpg.algo.member_state): when every member
learns it runs on the variables' values; otherwise only on the learning members' gathered rows,
whose results are scattered back, so the members told not to update (warming up, finished,
pruned, or frozen by the trainer after a loss or Q turned NaN/inf) cost no arithmetic and keep
their weights, optimizer state and targets exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from ddpg.algo import member_state
from ddpg.algo.ddpg_update import ddpg_update
from ddpg.algo.member_adam import MemberAdam
from ddpg.algo.member_layers import resized, set_member_weights
from ddpg.algo.member_state import MemberState
from ddpg.algo.packed_step import compile_flat, pack_step, packed_size, unpack_step
from ddpg.algo.replay import Batch
from ddpg.config.schema import AgentConfig, ConfigError

#: Names of the per-member metrics `Learner.train_and_act` returns, in order.
METRIC_KEYS = ("loss/critic", "loss/actor", "q/mean")


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
        self._is_kernel = ["kernel" in w.path for w in critic.trainable_variables]
        cfg = self.config
        self._compiling = (cfg.compile, cfg.jit_compile, self.compiled_functions)
        self._shapes = (cfg.updates_per_step, cfg.batch_size, obs_dim, action_dim)
        # Per member axis N: its models (the graph for N members), input buffer and compiled
        # step; N = K (every member learns) is compiled now, the others on first need.
        self._models = {k: (actor, critic)}
        self._packed: dict[int, np.ndarray] = {}  # input buffers, reused: tf.constant copies
        # Key None: every member learns (nothing gathered); N: N listed members, repeats allowed.
        self._steps: dict[int | None, Callable[[np.ndarray], tf.Tensor]] = {
            None: self._compile_step(k, everyone=True)
        }
        self.train_and_act_step = self._steps[None]  # (the benchmark times it alone)
        self._act = compile_flat(self._act_packed, k * obs_dim, *self._compiling)

    @property
    def member_axes(self) -> list[int]:
        """The member axis of each update step compiled so far, in order: K for the step where
        every member learns, then N for each step of N listed members (ddpg.algo.member_state)."""
        return [self.members if key is None else key for key in self._steps]

    def _size(self, n: int) -> int:
        updates, b, o, a = self._shapes
        return packed_size(updates, n, self.members, b, o, a)

    def _compile_step(self, n: int, everyone: bool) -> Callable[[np.ndarray], tf.Tensor]:
        if n not in self._models:  # built here: a trace must not create variables
            self._models[n] = (resized(self.actor, n), resized(self.critic, n))
        self._packed.setdefault(n, np.zeros(self._size(n), np.float32))
        step = lambda packed: self._train_and_act_packed(packed, n, everyone)  # noqa: E731
        return compile_flat(step, self._size(n), *self._compiling)

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

    def reset_member(
        self,
        member: int,
        actor_weights: Sequence[np.ndarray],
        critic_weights: Sequence[np.ndarray],
        config: AgentConfig,
    ) -> None:
        """Member `member` starts over: these weights (a plain model's `get_weights()`) in its
        networks and targets, zero Adam moments and step counts, `config`'s hyperparameters.
        Only variables' values change: nothing is retraced or recompiled."""
        self.set_hyperparameters(member, config)  # first: a refused config changes nothing
        for models, weights in (
            ((self.actor, self.target_actor), actor_weights),
            ((self.critic, self.target_critic), critic_weights),
        ):
            for model in models:
                set_member_weights(model, member, weights)
        for optimizer in (self.actor_optimizer, self.critic_optimizer):
            for variable in (optimizer.iterations, *optimizer.momentums, *optimizer.velocities):
                variable[member].assign(tf.zeros_like(variable[member]))

    def copy_member(self, source: int, target: int) -> None:
        """Member `target` takes `source`'s networks, targets and Adam state (moments, step
        counts) and its hyperparameters: population-based training's exploit, within the
        compiled state (no file, no retrace). Every leaf of `variables()` is copied, so a
        variable the update reads is never left out."""
        for variable in tf.nest.flatten(self.variables()):
            variable[target].assign(variable[source])

    def variables(self) -> MemberState:
        """Every variable an update reads or writes (ddpg.algo.member_state)."""
        raw = member_state.raw
        models = (self.actor, self.critic, self.target_actor, self.target_critic)
        weights = [[raw(v) for v in m.trainable_variables] for m in models]
        stats = [[raw(v) for v in m.non_trainable_variables] for m in models]
        return MemberState(
            weights[0],
            stats[0],
            weights[1],
            stats[1],
            weights[2],
            stats[2],
            weights[3],
            stats[3],
            self.actor_optimizer.slots,
            self.critic_optimizer.slots,
            self.actor_optimizer.learning_rate,
            self.critic_optimizer.learning_rate,
            self.tau,
            self.gamma,
            self.weight_decay,
        )

    def _train_and_act_packed(self, packed: tf.Tensor, n: int, everyone: bool) -> tf.Tensor:
        """The step of N listed members; `everyone`: all K of them in order, nothing gathered."""
        updates, b, o, a = self._shapes
        batches, listed, act_obs = unpack_step(packed, updates, n, self.members, b, o, a)
        variables = self.variables()
        state = member_state.read(variables) if everyone else member_state.gather(variables, listed)
        metrics, optimizers = [], (self.actor_optimizer, self.critic_optimizer)
        for batch in batches:
            state, batch_metrics = ddpg_update(
                self._models[n], optimizers, self._is_kernel, state, batch
            )
            metrics.append(batch_metrics)
        mean_metrics = tf.reduce_mean(tf.stack(metrics), axis=0)  # [N, 3]
        if everyone:
            member_state.assign(variables, state)
        else:
            member_state.scatter(variables, listed, state)
            zeros = tf.zeros([self.members, len(METRIC_KEYS)])
            mean_metrics = tf.tensor_scatter_nd_update(zeros, listed[:, None], mean_metrics)
        next_action = self.actor(act_obs, training=False)[:, 0]  # [K, A], the updated actors
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
            METRIC_KEYS, averaged over the updates; NaN or inf for a member that diverged, 0 for
            one that did not update).
        """
        every = bool(update.all())
        listed = None if every else member_state.listed_rows(update)
        n = self.members if listed is None else len(listed)
        key = None if every else n
        if key not in self._steps:
            self._steps[key] = self._compile_step(n, everyone=False)
        packed = pack_step(self._packed[n], batches, actor_obs, listed, next_obs)
        out = np.asarray(self._steps[key](packed))
        k, a = self.members, self.action_dim
        return out[: k * a].reshape(k, a), out[k * a :].reshape(k, len(METRIC_KEYS))
