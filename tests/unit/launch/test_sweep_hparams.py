"""ddpg.launch.sweep_hparams: HParams columns are ddpg.analysis.swept's treatments + seed."""

from __future__ import annotations

from omegaconf import OmegaConf

from ddpg.launch import sweep_hparams


def test_hparams_show_treatments_and_seed_as_params_json_names_them() -> None:
    task = [
        "+experiment=smoke",
        "reward_norm=none,running",
        "trainer.max_episodes=10,20",  # null by default: still a column
        "trainer.progress=true,false",  # bookkeeping: no column
        "resume=a,b",  # a location: no column
    ]
    config = OmegaConf.create(
        {
            "hydra": {"sweeper": {"params": {}}, "overrides": {"task": task}},
            "reward_norm": {"name": "none", "gamma": "${agent.gamma}"},
            "agent": {"gamma": 0.99},
            "trainer": {"max_episodes": None, "progress": True},
            "resume": None,
            "seed": 3,
        }
    )
    hparams = {h.name: h.domain for h in sweep_hparams.swept_hparams(config)}
    assert list(hparams) == ["reward_norm.name", "trainer.max_episodes", "seed"]
    assert hparams["trainer.max_episodes"].values == ["10", "20"]  # integers as strings
    assert hparams["seed"].values == ["3"]


def test_metric_names_are_short_enough_to_sit_side_by_side_and_each_is_described() -> None:
    # The parallel coordinates view writes the names above its axes, about 100 px apart: the
    # long ones ("env steps to solve (budget if unsolved)") ran into each other.
    assert all(len(name) <= 17 for name in sweep_hparams.HPARAM_METRICS.values())
    assert list(sweep_hparams.HPARAM_DESCRIPTIONS) == list(sweep_hparams.HPARAM_METRICS)
    assert all(sweep_hparams.HPARAM_DESCRIPTIONS.values())
