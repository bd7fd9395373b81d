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
    assert (
        job_names.job_dirname(5, [*task, "resume=b"], sweep_dir) == "rn=running s=1 resume=b job5"
    )
    # Without a record of the sweep every override is shown, bookkeeping still not.
    no_record = str(tmp_path / "none")
    assert job_names.job_dirname(5, task, no_record) == "exp=smoke rn=running s=1 job5"


def test_swept_values_come_first_short_in_the_order_the_sweep_declares_them(
    tmp_path: Path,
) -> None:
    """TensorBoard cuts long run names short: what tells the jobs apart must lead."""
    swept = ["seed=0,1", "agent.actor_lr=0.0001,0.001", "agent.tau=0.001,0.005"]
    sweep_dir = write_sweep(tmp_path, {}, [*swept, "reward_norm=none,running"])
    task = ["seed=0", "agent.actor_lr=0.0001", "agent.tau=0.001", "reward_norm=running"]
    assert job_names.job_dirname(0, task, sweep_dir) == "alr=1e-4 tau=0.001 rn=running s=0 job0"
    big = ["seed=0", "agent.actor_lr=2.5e-05", "agent.tau=0.5", "reward_norm=none"]
    assert job_names.job_dirname(1, big, sweep_dir) == "alr=2.5e-5 tau=0.5 rn=none s=0 job1"


def test_keys_whose_short_names_coincide_show_in_full(tmp_path: Path) -> None:
    sweep_dir = write_sweep(tmp_path, {}, ["noise.sigma=0.1,0.2", "network.sigma=1,2"])
    name = job_names.job_dirname(2, ["noise.sigma=0.1", "network.sigma=2"], sweep_dir)
    assert name == "noise.sigma=0.1 network.sigma=2 job2"


def test_a_repeated_sweep_value_still_gets_a_folder_of_its_own(tmp_path: Path) -> None:
    sweep_dir = write_sweep(tmp_path, {}, ["seed=0,0"])
    assert job_names.job_dirname(0, ["seed=0"], sweep_dir) != job_names.job_dirname(
        1, ["seed=0"], sweep_dir
    )
