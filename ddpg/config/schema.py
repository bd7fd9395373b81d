"""Typed, validated run configuration: the only shape of config the library below run.py sees.

Each dataclass mirrors one group of `conf/` (the agent's groups are defined in
ddpg/config/agent_groups.py and re-exported here). `from_mapping` (ddpg/config/structured.py)
builds them from the composed Hydra config through OmegaConf structured configs, which reject
unknown keys and wrong types; every `__post_init__` then checks ranges, and RunConfig's the rules
across groups (ddpg/config/checks.py). A bad value stops the run before anything is built, with
one line naming the dotted key and the allowed range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

# Re-exported: callers import the config's whole surface from here.
from ddpg.config.agent_groups import AgentConfig as AgentConfig
from ddpg.config.agent_groups import NetworkConfig as NetworkConfig
from ddpg.config.agent_groups import NoiseConfig as NoiseConfig
from ddpg.config.agent_groups import RewardNormConfig as RewardNormConfig
from ddpg.config.checks import check_budget_reaches_learning, check_early_stop_target
from ddpg.config.checks import choice as _choice
from ddpg.config.checks import non_negative as _non_negative
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
