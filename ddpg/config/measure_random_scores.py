"""Measure each conf/env option's random-policy score: the source of env_scores.RANDOM_SCORES.

    python -m ddpg.config.measure_random_scores [--episodes N] [--seed S] \
        > ddpg/config/random_scores.csv

A random policy draws every action uniformly from the env's action box (each dimension
independently, a fresh draw every step) and plays full episodes under the spec's time limit,
as ``gymnasium.make(id)`` builds the env. Its score is the mean episode return over N episodes
(the sem column says how well N pins it down). Episode reset seeds and the action stream are
spawned from ``numpy.random.SeedSequence(seed)`` by role, one child per env, so each env's
measurement is reproducible on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

ENV_DIR = Path(__file__).resolve().parents[2] / "conf" / "env"


def option_ids(env_dir: Path = ENV_DIR) -> list[str]:
    """The gymnasium id of every env option in `env_dir` (gym.yaml, the generic one, has none)."""
    ids = []
    for path in sorted(env_dir.glob("*.yaml")):
        env_id = (yaml.safe_load(path.read_text()) or {}).get("id")
        if isinstance(env_id, str) and env_id != "???":
            ids.append(env_id)
    return ids


def random_returns(env_id: str, episodes: int, seed: np.random.SeedSequence) -> np.ndarray:
    """Episode returns of the uniform random policy on `env_id`, one per episode."""
    import gymnasium as gym  # here: listing the ids needs no simulator

    resets, actions = seed.spawn(2)
    reset_seeds = resets.generate_state(episodes)
    rng = np.random.default_rng(actions)
    env = gym.make(env_id)
    low, high = env.action_space.low, env.action_space.high  # type: ignore[attr-defined]
    returns = np.empty(episodes)
    for i in range(episodes):
        env.reset(seed=int(reset_seeds[i]))
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(rng.uniform(low, high))
            total += float(reward)
            done = terminated or truncated
        returns[i] = total
    env.close()
    return returns


def main(argv: list[str] | None = None) -> int:
    """Print ``env_id,episodes,seed,random_score,std,sem`` for every env option."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    ids = option_ids()
    print("env_id,episodes,seed,random_score,std,sem")
    for env_id, child in zip(ids, np.random.SeedSequence(args.seed).spawn(len(ids)), strict=True):
        r = random_returns(env_id, args.episodes, child)
        sem = r.std(ddof=1) / np.sqrt(len(r))
        print(f"{env_id},{len(r)},{args.seed},{r.mean():.6g},{r.std(ddof=1):.6g},{sem:.4g}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
