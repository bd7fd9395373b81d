"""The agent's config groups, what ddpg.algo builds: the DDPG learner and its acting
(`conf/agent/`), the networks (`conf/network/`), the exploration noise (`conf/noise/`) and the
reward normalization (`conf/reward_norm/`). Callers import them from ddpg.config.schema, the
config's whole surface, where RunConfig gathers them with the run's own groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ddpg.config.checks import choice as _choice
from ddpg.config.checks import non_negative as _non_negative
from ddpg.config.checks import positive as _positive
from ddpg.config.structured import check


@dataclass
class AgentConfig:
    """DDPG learner and acting settings (`conf/agent/`)."""

    name: str = "ddpg"
    actor_lr: float = 1e-3
    critic_lr: float = 1e-3
    tau: float = 0.005
    gamma: float = 0.99
    batch_size: int = 128
    buffer_size: int = 1_000_000
    learning_starts: int = 1000
    updates_per_step: int = 1
    critic_weight_decay: float = 0.0
    random_warmup: bool = True  # uniform random actions until learning_starts
    compile: bool = True  # tf.function; False runs the update eagerly for debugging
    jit_compile: bool = True  # XLA on top of tf.function

    def __post_init__(self) -> None:
        _positive("agent.actor_lr", self.actor_lr)
        _positive("agent.critic_lr", self.critic_lr)
        check(0 < self.tau <= 1, "agent.tau", self.tau, "a number in (0, 1]")
        check(0 <= self.gamma < 1, "agent.gamma", self.gamma, "a number in [0, 1)")
        check(self.buffer_size >= 1, "agent.buffer_size", self.buffer_size, "an integer >= 1")
        check(
            1 <= self.batch_size <= self.buffer_size,
            "agent.batch_size",
            self.batch_size,
            f"an integer in [1, agent.buffer_size={self.buffer_size}]",
        )
        check(  # the replay stops growing at buffer_size: a later start never comes
            0 <= self.learning_starts <= self.buffer_size,
            "agent.learning_starts",
            self.learning_starts,
            f"an integer in [0, agent.buffer_size={self.buffer_size}]",
        )
        check(
            self.updates_per_step >= 1,
            "agent.updates_per_step",
            self.updates_per_step,
            "an integer >= 1",
        )
        _non_negative("agent.critic_weight_decay", self.critic_weight_decay)


@dataclass
class NetworkConfig:
    """Actor and critic architecture as data (`conf/network/`)."""

    name: str = "mlp64"
    actor_hidden: list[int] = field(default_factory=lambda: [64, 64])
    critic_hidden: list[int] = field(default_factory=lambda: [64, 64])
    activation: str = "relu"
    actor_batch_norm: bool = False  # BatchNorm on the actor's (noisy) input
    critic_batch_norm: bool = False  # BatchNorm on the critic's state input
    action_insert_layer: int = 0  # 0: concat(state, action) at the input; k: after hidden layer k
    input_noise_std: float = 0.0  # Gaussian noise on the actor input while training
    hidden_init: str = "glorot_uniform"  # or "fan_in_uniform" (Lillicrap et al. 2015, sec. 7)
    final_init: float | None = None  # U(-x, x) for the output layers; None: hidden_init

    def __post_init__(self) -> None:
        for key in ("actor_hidden", "critic_hidden"):
            sizes = getattr(self, key)
            check(
                len(sizes) >= 1 and all(s >= 1 for s in sizes),
                f"network.{key}",
                sizes,
                "a non-empty list of positive layer sizes",
            )
        _choice("network.activation", self.activation, ("relu", "selu", "tanh", "elu", "gelu"))
        check(
            0 <= self.action_insert_layer < len(self.critic_hidden),
            "network.action_insert_layer",
            self.action_insert_layer,
            f"an integer in [0, {len(self.critic_hidden) - 1}]",
        )
        _non_negative("network.input_noise_std", self.input_noise_std)
        _choice("network.hidden_init", self.hidden_init, ("glorot_uniform", "fan_in_uniform"))
        if self.final_init is not None:
            _positive("network.final_init", self.final_init)


@dataclass
class NoiseConfig:
    """Exploration noise on the normalised action (`conf/noise/`)."""

    name: str = "gaussian"  # ou | gaussian | none
    sigma: float = 0.1
    theta: float = 0.15
    mu: float = 0.0
    dt: float = 1.0
    final_sigma: float | None = None  # linear decay target; None keeps sigma constant
    decay_steps: int = 0  # env steps over which sigma decays to final_sigma

    def __post_init__(self) -> None:
        _choice("noise.name", self.name, ("ou", "gaussian", "none"))
        _non_negative("noise.sigma", self.sigma)
        _positive("noise.theta", self.theta)
        _positive("noise.dt", self.dt)
        check(math.isfinite(self.mu), "noise.mu", self.mu, "a finite number")
        if self.final_sigma is not None:
            _non_negative("noise.final_sigma", self.final_sigma)
        check(self.decay_steps >= 0, "noise.decay_steps", self.decay_steps, "an integer >= 0")


@dataclass
class RewardNormConfig:
    """Reward normalization variant (`conf/reward_norm/`); see ddpg/algo/reward_norm.py."""

    name: str = "none"  # none | scale | running | episode_return
    scale: float = 1.0
    gamma: float = 0.99  # discount of the return whose statistics normalize the reward
    epsilon: float = 1e-8

    def __post_init__(self) -> None:
        _choice("reward_norm.name", self.name, ("none", "scale", "running", "episode_return"))
        _positive("reward_norm.scale", self.scale)
        check(0 <= self.gamma <= 1, "reward_norm.gamma", self.gamma, "a number in [0, 1]")
        _positive("reward_norm.epsilon", self.epsilon)
