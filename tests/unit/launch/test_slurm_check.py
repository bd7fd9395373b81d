"""ddpg.launch.slurm_check without a cluster: a stand-in `sbatch` on PATH answers as SLURM's does
(tests/integration/test_slurm.py asks a real one)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from ddpg.config.schema import ConfigError
from ddpg.launch import slurm_check


def fake_sbatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """An `sbatch` that records its arguments and then runs `body`."""
    script = tmp_path / "sbatch"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    return tmp_path / "args"


def test_a_refused_partition_names_its_key_and_value(tmp_path, monkeypatch) -> None:
    refusal = "sbatch: error: invalid partition specified: nope"
    args = fake_sbatch(tmp_path, monkeypatch, f'echo "{refusal}" >&2\nexit 1')
    settings = {"partition": "nope", "mem_gb": 8, "timeout_min": 120}
    with pytest.raises(ConfigError) as raised:
        slurm_check.check_sbatch("hydra.launcher.slurm", settings)
    assert (
        str(raised.value) == f"hydra.launcher.slurm.partition='nope' is refused by SLURM: {refusal}"
    )
    assert args.read_text().split() == [
        "--test-only",  # asks, queues nothing
        "--partition=nope",
        "--mem=8G",
        "--time=120",
        "--wrap=true",
    ]


def test_a_refusal_of_no_one_setting_names_them_all(tmp_path, monkeypatch) -> None:
    fake_sbatch(tmp_path, monkeypatch, 'echo "allocation failure: no node" >&2\nexit 1')
    with pytest.raises(ConfigError, match=r"^hydra.launcher \(partition='p', cpus_per_task=99\)"):
        slurm_check.check_sbatch("hydra.launcher", {"partition": "p", "cpus_per_task": 99})


def test_accepted_settings_pass_and_a_missing_sbatch_is_one_line(tmp_path, monkeypatch) -> None:
    fake_sbatch(tmp_path, monkeypatch, "exit 0")
    slurm_check.check_sbatch("hydra.launcher", {"partition": "debug"})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="sbatch is not installed here"):
        slurm_check.check_sbatch("hydra.launcher", {"partition": "debug"})


def test_settings_are_read_from_either_slurm_launcher_and_no_other() -> None:
    submitit = {"_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"}
    population = {"_target_": "hydra_plugins.x.PopulationLauncher", "backend": "slurm"}
    cases = [
        (
            submitit | {"partition": "a", "mem_gb": 1, "name": "x"},
            ("hydra.launcher", {"partition": "a", "mem_gb": 1}),
        ),
        (
            population | {"slurm": {"partition": "b", "account": None}},
            ("hydra.launcher.slurm", {"partition": "b"}),
        ),
        (population | {"backend": "local", "slurm": {"partition": "b"}}, None),
        ({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}, None),
    ]
    for launcher, expected in cases:
        config = OmegaConf.create({"hydra": {"launcher": launcher}})
        assert slurm_check.slurm_settings(config) == expected, launcher
