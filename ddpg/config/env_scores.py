"""The random-policy and reference score of each env option: the two ends of a normalized score.

``ddpg.compare --across env`` scores a run as ``(score - random) / (reference - random)``: 0 is
a uniform random policy, 1 the reference. conf/env/gym.yaml derives ``env.random_score`` and
``env.reference_score`` from the id through this table (``${from_id:}``), so every run records
the two numbers it was normalized with in params.json, and any key set on the command line wins.

Sources:
- ``RANDOM_SCORES``: measured here, the mean return of 100 episodes of uniform random actions
  under the spec's time limit (``python -m ddpg.config.measure_random_scores``; its output is
  committed as ddpg/config/random_scores.csv, and a test holds this table to it).
- ``REFERENCE_SCORES``: for the seven MuJoCo tasks of the TD3 paper, its TD3 result, the max
  average return over 10 trials of 1M steps (Fujimoto et al. 2018, "Addressing Function
  Approximation Error in Actor-Critic Methods", arXiv:1802.09477, Table 1; v1 envs there, v5
  here). Elsewhere the env's solved score: the spec's reward_threshold (MountainCar 90,
  LunarLanderContinuous 200, BipedalWalker 300) and, for Pendulum-v1, whose spec has none, the
  project's criterion -200 (conf/env/pendulum.yaml).
"""

from __future__ import annotations

RANDOM_SCORE_FILE = "random_scores.csv"  # beside this module

#: Mean return of the uniform random policy (ddpg/config/random_scores.csv, seed 0, 100 episodes).
RANDOM_SCORES: dict[str, float] = {
    "Ant-v5": -58.6726,
    "BipedalWalker-v3": -99.3249,
    "HalfCheetah-v5": -284.542,
    "Hopper-v5": 13.7402,
    "InvertedDoublePendulum-v5": 45.9855,
    "InvertedPendulum-v5": 4.98,
    "LunarLanderContinuous-v3": -216.145,
    "MountainCarContinuous-v0": -33.3714,
    "Pendulum-v1": -1250.45,
    "Reacher-v5": -42.5755,
    "Walker2d-v5": 2.2884,
}

#: The score a normalized 1 stands for (sources in the module docstring).
REFERENCE_SCORES: dict[str, float] = {
    "Ant-v5": 4372.44,  # TD3 paper, Table 1, TD3
    "BipedalWalker-v3": 300.0,  # the spec's reward_threshold
    "HalfCheetah-v5": 9636.95,  # TD3 paper, Table 1, TD3
    "Hopper-v5": 3564.07,  # TD3 paper, Table 1, TD3
    "InvertedDoublePendulum-v5": 9337.47,  # TD3 paper, Table 1, TD3
    "InvertedPendulum-v5": 1000.0,  # TD3 paper, Table 1, TD3 (the task's maximum)
    "LunarLanderContinuous-v3": 200.0,  # the spec's reward_threshold
    "MountainCarContinuous-v0": 90.0,  # the spec's reward_threshold
    "Pendulum-v1": -200.0,  # the project's solved criterion (the spec has none)
    "Reacher-v5": -3.60,  # TD3 paper, Table 1, TD3
    "Walker2d-v5": 4682.82,  # TD3 paper, Table 1, TD3
}


def random_score(env_id: str) -> float | None:
    """The random-policy score of `env_id` (None for an id not measured here)."""
    return RANDOM_SCORES.get(env_id)


def reference_score(env_id: str) -> float | None:
    """The reference score of `env_id` (None for an id without a sourced one)."""
    return REFERENCE_SCORES.get(env_id)
