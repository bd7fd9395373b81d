"""Child process for the kill-and-resume tests: `python train_child.py RUN_DIR [resume]`."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ddpg.config.schema import AgentConfig, NetworkConfig, RunConfig, TrainerConfig
from ddpg.launch.job import train_run
from ddpg.launch.resume_plan import resume_target


def config() -> RunConfig:
    """1200 Pendulum steps (6 episodes of 200), checkpoints at 400, 800 and 1200.

    Scalars are logged every 100 steps, evaluations run every 300 and every episode end flushes
    the logs, so a kill after step 600 or 1000 leaves rows (eval ones too) that the last
    checkpoint predates: the resume must rewind them.
    """
    return RunConfig(
        seed=3,
        network=NetworkConfig(name="tiny", actor_hidden=[16], critic_hidden=[16]),
        agent=AgentConfig(batch_size=16, learning_starts=100),
        trainer=TrainerConfig(
            total_steps=1200,
            eval_every=300,
            eval_episodes=1,
            log_every=100,
            checkpoint_every=400,
            keep_checkpoints=2,
            progress=False,
        ),
    )


if __name__ == "__main__":
    run_dir = Path(sys.argv[1])
    if len(sys.argv) > 2:
        resumed, run_dir, _ = resume_target(run_dir)
        summary = train_run(resumed, run_dir)
    else:
        summary = train_run(config(), run_dir)
    sys.exit(0 if summary["status"] == "completed" else 3)
