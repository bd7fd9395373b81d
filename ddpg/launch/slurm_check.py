"""A sweep's SLURM settings asked of SLURM before anything is submitted or written.

`sbatch --test-only` answers, without queueing anything, whether the controller would accept a
job with these resources. A refusal (a wrong partition, more memory than any node has) ends the
sweep with one line naming the setting and its value, where submitit would raise its
FailedJobError in a 47-line traceback once every job had been set up. It runs as a Hydra
callback (on_multirun_start: before the sweeper makes the sweep folder, so nothing is left
behind), for both of the project's SLURM launchers: `hydra/launcher=slurm` (submitit's) and
`hydra/launcher=population` with `hydra.launcher.backend=slurm`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from ddpg.config.schema import ConfigError

#: Launcher setting -> the sbatch option that submitit writes for it.
SBATCH_OPTIONS = {
    "partition": "--partition",
    "account": "--account",
    "qos": "--qos",
    "timeout_min": "--time",
    "nodes": "--nodes",
    "tasks_per_node": "--ntasks-per-node",
    "cpus_per_task": "--cpus-per-task",
    "gpus_per_node": "--gpus-per-node",
    "mem_gb": "--mem",
}
#: A word of sbatch's refusal -> the setting it concerns.
REFUSALS = (
    ("partition", "partition"),
    ("account", "account"),
    ("qos", "qos"),
    ("time limit", "timeout_min"),
    ("memory", "mem_gb"),
)
SBATCH_TIMEOUT_S = 60  # a controller that does not answer is left to submitit to report


def slurm_settings(config: DictConfig) -> tuple[str, dict[str, Any]] | None:
    """(the settings' key, the settings) of the multirun's SLURM launcher; None for others."""
    launcher = config.hydra.launcher
    target = str(launcher.get("_target_", ""))
    if target.endswith("submitit_launcher.SlurmLauncher"):
        prefix = "hydra.launcher"
    elif target.endswith("PopulationLauncher") and launcher.get("backend") == "slurm":
        prefix = "hydra.launcher.slurm"
    else:
        return None
    settings = {key: OmegaConf.select(config, f"{prefix}.{key}") for key in SBATCH_OPTIONS}
    return prefix, {key: value for key, value in settings.items() if value is not None}


def check_sbatch(prefix: str, settings: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the setting SLURM refuses (`prefix.key=value`).

    Raises:
        ConfigError: sbatch is missing, or refuses a job with `settings`.
    """
    options = [
        f"{SBATCH_OPTIONS[key]}={value}G" if key == "mem_gb" else f"{SBATCH_OPTIONS[key]}={value}"
        for key, value in settings.items()
    ]
    command = ["sbatch", "--test-only", *options, "--wrap=true"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=SBATCH_TIMEOUT_S)
    except FileNotFoundError:
        raise ConfigError(
            f"{prefix}: SLURM's sbatch is not installed here, and this launcher submits with it"
        ) from None
    except subprocess.TimeoutExpired:
        return
    if result.returncode == 0:
        return
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    reason = lines[0] if lines else f"exit code {result.returncode}"
    text = result.stderr.lower()
    for word, key in REFUSALS:
        if word in text and key in settings:
            raise ConfigError(f"{prefix}.{key}={settings[key]!r} is refused by SLURM: {reason}")
    given = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    raise ConfigError(f"{prefix} ({given}) is refused by SLURM: {reason}")


class SlurmCheckCallback(Callback):
    """Checks the multirun's SLURM settings with SLURM before the sweep starts."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        found = slurm_settings(config)
        if found is None:
            return
        try:
            check_sbatch(*found)
        except ConfigError as error:
            # Hydra turns a callback's exception into a warning and goes on; SystemExit is no
            # Exception, so it ends the command here, as a bad value ends any other.
            print(f"error: {error}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
