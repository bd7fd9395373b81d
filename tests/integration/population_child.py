"""Child process for the population kill-and-resume test: `python population_child.py ROOT
[resume]`; ROOT holds one folder per member."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ddpg.config.schema import (
    AgentConfig,
    EnvConfig,
    NetworkConfig,
    NoiseConfig,
    RewardNormConfig,
    RunConfig,
    TrainerConfig,
)
from ddpg.launch.job import train_population
from ddpg.launch.resume import plan_resumes, resume_populations

#: Members that differ in every way a population allows: seed, tau, gamma, noise, reward
#: normalization (one holds its episodes back until they end) and observation normalization.
MEMBERS = (
    dict(seed=0, tau=0.005, gamma=0.99, noise="gaussian", reward_norm="none", obs_norm="none"),
    dict(seed=1, tau=0.05, gamma=0.9, noise="ou", reward_norm="episode_return", obs_norm="none"),
    dict(seed=2, tau=0.01, gamma=0.95, noise="gaussian", reward_norm="running", obs_norm="running"),
)


def configs() -> list[RunConfig]:
    """900 MountainCar steps of 150-step episodes; checkpoints every 250 steps (mid-episode)."""
    return [
        RunConfig(
            seed=m["seed"],
            env=EnvConfig(
                id="MountainCarContinuous-v0", max_episode_steps=150, obs_norm=m["obs_norm"]
            ),
            network=NetworkConfig(name="tiny", actor_hidden=[16], critic_hidden=[16]),
            agent=AgentConfig(batch_size=16, learning_starts=100, tau=m["tau"], gamma=m["gamma"]),
            noise=NoiseConfig(name=m["noise"], sigma=0.5),
            reward_norm=RewardNormConfig(name=m["reward_norm"]),
            trainer=TrainerConfig(
                total_steps=900,
                eval_every=300,
                eval_episodes=1,
                log_every=50,
                checkpoint_every=250,
                keep_checkpoints=2,
                progress=False,
            ),
        )
        for m in MEMBERS
    ]


if __name__ == "__main__":
    root = Path(sys.argv[1])
    if len(sys.argv) > 2:
        summaries = resume_populations(plan_resumes(root, {}), max_members=64)
    else:
        summaries = train_population(configs(), [root / f"m{k}" for k in range(len(MEMBERS))])
    sys.exit(0 if all(s["status"] == "completed" for s in summaries) else 3)
