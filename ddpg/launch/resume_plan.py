"""What `resume=` does to one run: the saved config and checkpoint it continues from, the keys
the command line may change on the way, and whether anything is left to train.

A folder of runs is planned run by run from here (ddpg.launch.resume); `train_run` and
`train_population` (ddpg.launch.job) then load the checkpoint and train on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ddpg.config.schema import ConfigError, RunConfig, TrainerConfig, from_mapping
from ddpg.launch.job import params_of, read_summary


def resume_target(resume: str | Path) -> tuple[RunConfig, Path, Path]:
    """(the saved config, its run directory, the checkpoint) for `resume=<run_dir or checkpoint>`.

    Reads only the checkpoint's state.json; `train_run` verifies and loads the arrays once.
    Raises ConfigError for a path that does not exist, holds no checkpoint, or whose manifest or
    state.json is damaged.
    """
    from ddpg.storage.checkpoint import find_checkpoint, read_checkpoint_state

    checkpoint = find_checkpoint(Path(resume))
    state = read_checkpoint_state(checkpoint)  # the replay-sized arrays.npz stays unread
    config = from_mapping(RunConfig, state["config"])
    config.resume = str(checkpoint)
    return config, checkpoint.parent.parent, checkpoint


#: What a resume may change: how long to train and how to show it. Everything else would make
#: the continued run a different experiment from the one its first segment started.
RESUME_CHANGEABLE = (
    "trainer.total_steps",
    "trainer.max_episodes",
    "trainer.early_stop",
    "trainer.progress",
)
FINISHED = ("completed", "stopped_early", "pruned")
#: A diverged run is finished whatever its budget: retrained from its last good checkpoint it
#: would diverge again, at the same step.
DIVERGED = "diverged"


@dataclasses.dataclass
class ResumePlan:
    """What `resume=` will do: continue `config` from `checkpoint` in `run_dir`, or nothing."""

    config: RunConfig
    run_dir: Path
    checkpoint: Path
    finished: bool  # the run diverged, or ended and no budget was raised: nothing to train
    status: str | None = None  # summary.json's status when planned


def plan_resume(resume: str | Path, changes: dict[str, Any]) -> ResumePlan:
    """Resolve `resume=` with the keys the command line changes (dotted key -> new value).

    A run is finished (nothing to train) once it diverged, or once it completed, stopped early
    or was pruned and no budget is raised.

    Raises:
        ConfigError: The path holds no usable checkpoint, a key outside RESUME_CHANGEABLE would
            change, or the new budget is below the steps the run has already taken.
    """
    config, run_dir, checkpoint = resume_target(resume)
    saved = params_of(config)
    for key, value in changes.items():
        if key not in RESUME_CHANGEABLE and saved.get(key, object()) != value:
            raise ConfigError(
                f"{key}={value!r} cannot change on resume: the run continues with its saved "
                f"config (only {', '.join(RESUME_CHANGEABLE)} may change)"
            )
    trainer_changes = {k.split(".", 1)[1]: v for k, v in changes.items() if k in RESUME_CHANGEABLE}
    config.trainer = from_mapping(
        TrainerConfig, dataclasses.asdict(config.trainer) | trainer_changes, "trainer."
    )
    summary = read_summary(run_dir / "summary.json")
    done = int(summary.get("env_steps") or 0)
    if config.trainer.total_steps < done:
        raise ConfigError(
            f"trainer.total_steps={config.trainer.total_steps} is invalid on resume: the run "
            f"has already taken {done} env steps"
        )
    raised = any(saved[f"trainer.{k}"] != v for k, v in trainer_changes.items() if k != "progress")
    status = summary.get("status")
    finished = status == DIVERGED or (status in FINISHED and not raised)
    return ResumePlan(config, run_dir, checkpoint, finished, status)
