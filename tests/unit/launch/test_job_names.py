"""ddpg.launch.job_names: a job folder shows what tells the jobs apart, never bookkeeping."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ddpg.launch import job_names


def write_sweep(sweep_dir: Path, params: dict[str, str], task: list[str]) -> str:
    hydra = {"sweeper": {"params": params}, "overrides": {"task": task}}
    OmegaConf.save({"hydra": hydra}, sweep_dir / "multirun.yaml")
    return str(sweep_dir)


def test_sweep_overrides_merge_sweeper_params_and_the_command_line(tmp_path: Path) -> None:
    write_sweep(tmp_path, {"agent.tau": "0.1,0.2"}, ["seed=range(2)", "agent.tau=0.3"])
    config = OmegaConf.load(tmp_path / "multirun.yaml")
    assert isinstance(config, DictConfig)
    assert job_names.sweep_overrides(config) == {"seed": [0, 1]}  # a plain value ends a sweep


def test_bookkeeping_stays_out_of_job_folder_names(tmp_path: Path) -> None:
    swept = ["reward_norm=none,running", "trainer.progress=true,false", "seed=0,1", "resume=a,b"]
    sweep_dir = write_sweep(tmp_path, {}, ["+experiment=smoke", *swept])
    task = ["+experiment=smoke", "reward_norm=running", "trainer.progress=false", "seed=1"]
    assert job_names.job_dirname(5, [*task, "resume=b"], sweep_dir) == (
        "5_resume=b,reward_norm=running,seed=1"
    )
    # Without a record of the sweep every override is shown, bookkeeping still not.
    no_record = str(tmp_path / "none")
    assert job_names.job_dirname(5, task, no_record) == (
        "5_+experiment=smoke,reward_norm=running,seed=1"
    )
