"""Bare env steps/s of each reproduction task: the wrapped env (as training builds it) with
uniform random actions, one process, no learning. Prints a markdown table.

    python experiments/reproduction/bare_env_speed.py [--seconds S]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ddpg.config.schema import EnvConfig
from ddpg.envs.make import make_env

TASKS = (
    "HalfCheetah-v5",
    "Hopper-v5",
    "Walker2d-v5",
    "Ant-v5",
    "Reacher-v5",
    "InvertedPendulum-v5",
    "InvertedDoublePendulum-v5",
)


def steps_per_second(env_id: str, seconds: float) -> float:
    """Random-action env steps per second over about `seconds` of stepping."""
    env = make_env(EnvConfig(id=env_id, kwargs={}))
    rng = np.random.default_rng(0)
    size = env.action_space.shape[0]
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            _, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, size).astype(np.float32))
            if terminated or truncated:
                env.reset()
        steps += 1000
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="stepping time per task")
    args = parser.parse_args()
    print("| task | bare env steps/s |\n| --- | --- |")
    for env_id in TASKS:
        print(f"| {env_id} | {steps_per_second(env_id, args.seconds):,.0f} |")


if __name__ == "__main__":
    main()
