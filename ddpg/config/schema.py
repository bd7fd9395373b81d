"""Typed, validated run configuration: the only shape of config the library below run.py sees.

Each dataclass mirrors one group of `conf/`. `from_mapping` (ddpg/config/structured.py) builds them
from the composed Hydra config through OmegaConf structured configs, which reject unknown keys and
wrong types; every `__post_init__` then checks ranges, and RunConfig's the rules across groups
(ddpg/config/checks.py). A bad value stops the run before anything is built, with one line
naming the dotted key and the allowed range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ddpg.config.checks import check_budget_reaches_learning, check_early_stop_target
from ddpg.config.checks import choice as _choice
from ddpg.config.checks import non_negative as _non_negative
from ddpg.config.checks import positive as _positive

# Re-exported: callers import the config's whole surface from here.
from ddpg.config.structured import ConfigError as ConfigError
from ddpg.config.structured import check
from ddpg.config.structured import flatten as flatten
from ddpg.config.structured import from_mapping as from_mapping


def env_name(env_id: str) -> str:
    """The id in snake case, version kept: "InvertedDoublePendulum-v5" ->
    "inverted_double_pendulum_v5", "ALE/Pong-v5" -> "ale_pong_v5"."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", env_id)
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


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
class EnvConfig:
    """A gymnasium env, its observation normalization and the budget it needs (`conf/env/`).

    The defaults are the generic ones conf/env/gym.yaml states for any id (the TD3 paper's
    protocol). A composed config takes the solved score from the env spec
    (ddpg.config.env_defaults); one built in Python has none unless it sets one.
    """

    name: str | None = None  # run-folder label; None: from the id ("Hopper-v5" -> "hopper_v5")
    id: str = "Pendulum-v1"
    kwargs: dict[str, Any] = field(default_factory=dict)  # passed to gymnasium.make
    obs_norm: str = "none"  # none | bounds | running
    max_episode_steps: int | None = None  # None: the spec's limit
    total_steps: int = 1_000_000
    eval_every: int = 5_000
    eval_episodes: int = 10
    solved_score: float | None = None  # an eval mean at or above it is "solved"; None: never
    # The two ends of compare's normalized score (ddpg.config.env_scores); None: not known
    random_score: float | None = None  # a uniform random policy's mean return
    reference_score: float | None = None  # the score a normalized 1 stands for
    exploration_sigma: float = 0.1  # the noise scale this env needs; noise configs refer to it
    warmup_steps: int = 1_000  # uniform random steps before learning; agent presets refer to it

    def __post_init__(self) -> None:
        check(bool(self.id), "env.id", self.id, "a gymnasium environment id")
        if self.name is None:
            self.name = env_name(self.id)
        _choice("env.obs_norm", self.obs_norm, ("none", "bounds", "running"))
        if self.max_episode_steps is not None:
            check(
                self.max_episode_steps >= 1,
                "env.max_episode_steps",
                self.max_episode_steps,
                "an integer >= 1 or null",
            )
        check(self.total_steps >= 0, "env.total_steps", self.total_steps, "an integer >= 0")
        check(self.eval_every >= 1, "env.eval_every", self.eval_every, "an integer >= 1")
        check(self.eval_episodes >= 1, "env.eval_episodes", self.eval_episodes, "an integer >= 1")
        if self.solved_score is not None:
            check(math.isfinite(self.solved_score), "env.solved_score", self.solved_score, "finite")
        for key in ("random_score", "reference_score"):
            value = getattr(self, key)
            if value is not None:
                check(math.isfinite(value), f"env.{key}", value, "finite or null")
        same = self.reference_score is not None and self.reference_score == self.random_score
        check(not same, "env.reference_score", self.reference_score, "!= env.random_score")
        _non_negative("env.exploration_sigma", self.exploration_sigma)
        check(self.warmup_steps >= 0, "env.warmup_steps", self.warmup_steps, "an integer >= 0")


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


@dataclass
class TrainerConfig:
    """Budget and cadence of the environment loop (root `trainer:` in conf/config.yaml)."""

    total_steps: int = 20_000
    eval_every: int = 2_000
    eval_episodes: int = 10
    max_episodes: int | None = None
    early_stop: str = "none"  # none | ema (of training returns) | eval (mean)
    target_score: float | None = None  # early-stop threshold; None: env.solved_score
    ema_decay: float = 0.9  # score_ema = decay * score_ema + (1 - decay) * return
    log_every: int = 250  # env steps between loss/Q scalars (means over the window)
    checkpoint_every: int = 0  # env steps between checkpoints; 0: only at the end
    keep_checkpoints: int = 2
    progress: bool = True
    threads: int = 1  # TF intra- and inter-op threads

    def __post_init__(self) -> None:
        check(self.total_steps >= 0, "trainer.total_steps", self.total_steps, "an integer >= 0")
        check(self.eval_every >= 1, "trainer.eval_every", self.eval_every, "an integer >= 1")
        check(
            self.eval_episodes >= 1, "trainer.eval_episodes", self.eval_episodes, "an integer >= 1"
        )
        if self.max_episodes is not None:
            check(self.max_episodes >= 1, "trainer.max_episodes", self.max_episodes, ">= 1")
        _choice("trainer.early_stop", self.early_stop, ("none", "ema", "eval"))
        if self.target_score is not None:
            check(
                math.isfinite(self.target_score),
                "trainer.target_score",
                self.target_score,
                "finite",
            )
        check(0 <= self.ema_decay < 1, "trainer.ema_decay", self.ema_decay, "a number in [0, 1)")
        check(self.log_every >= 1, "trainer.log_every", self.log_every, "an integer >= 1")
        check(
            self.checkpoint_every >= 0,
            "trainer.checkpoint_every",
            self.checkpoint_every,
            "an integer >= 0",
        )
        check(self.keep_checkpoints >= 1, "trainer.keep_checkpoints", self.keep_checkpoints, ">= 1")
        check(self.threads >= 0, "trainer.threads", self.threads, "an integer >= 0 (0: TF default)")


@dataclass
class PopulationConfig:
    """`population.size=N`: a single run trains seeds seed .. seed+N-1 as one population."""

    size: int = 1

    def __post_init__(self) -> None:
        check(self.size >= 1, "population.size", self.size, "an integer >= 1")


@dataclass
class RunConfig:
    """Everything one training run needs."""

    seed: int = 0
    # The env first: other groups interpolate its values (agent.learning_starts from
    # env.warmup_steps, noise.sigma from env.exploration_sigma), so a bad one is named as set.
    env: EnvConfig = field(default_factory=EnvConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    reward_norm: RewardNormConfig = field(default_factory=RewardNormConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    resume: str | None = None  # a run directory to continue
    # A PBT member's schedule.json to replay from scratch (ddpg.launch.schedule_replay)
    pbt_schedule: str | None = None

    def __post_init__(self) -> None:
        check(0 <= self.seed < 2**31, "seed", self.seed, "an integer in [0, 2**31)")
        trainer, agent = self.trainer, self.agent
        check_early_stop_target(
            trainer.early_stop, trainer.target_score, self.env.solved_score, self.env.id
        )
        if self.resume is None:  # a resume trains with its saved config, checked when it began
            check_budget_reaches_learning(
                trainer.total_steps, agent.learning_starts, agent.batch_size
            )
