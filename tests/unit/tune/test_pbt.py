"""ddpg.tune.pbt: the refusal, members drawn and handed to training, a held member revived through
training, a study killed before its first snapshot. Exploit's own tests: test_pbt_exploit.py."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import diverge_at_first_update

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.storage.files import write_json_atomic
from ddpg.tune.pbt import check_pbt, run_pbt
from ddpg.tune.space import parse_space
from ddpg.tune.storage import PbtSettings, TuneSettings

from .study_inputs import BASE, PBT_SPACE, build


def settings(tmp_path: Path, **pbt: Any) -> TuneSettings:
    return TuneSettings(
        dir=str(tmp_path), population=4, algorithm="pbt", pbt=PbtSettings(**pbt), seed=3
    )


def test_a_search_that_changes_shapes_is_refused_naming_the_key(tmp_path: Path) -> None:
    for key, choices in (("agent.batch_size", [64, 128]), ("network", ["mlp64", "mlp256"])):
        space = parse_space(
            {"name": "s", "dimensions": [{"name": key, "type": "categorical", "choices": choices}]}
        )
        with pytest.raises(ConfigError, match=f"cannot search {key} "):
            check_pbt(space, settings(tmp_path), BASE)
    check_pbt(PBT_SPACE, settings(tmp_path), BASE)  # runtime hyperparameters and noise pass
    with pytest.raises(ConfigError, match="tune.pbt.interval=300 is invalid"):
        check_pbt(PBT_SPACE, settings(tmp_path, interval=300), BASE)


def test_run_pbt_draws_members_from_the_study_seed_and_hands_the_hooks_to_training(
    tmp_path: Path,
) -> None:
    calls = []

    def train(configs, run_dirs, on_eval, exploit, on_diverge, snapshots):
        calls.append((configs, run_dirs))
        for run_dir in run_dirs:
            write_json_atomic(run_dir / "summary.json", {"status": "completed"})
        return []

    pbt = run_pbt(
        settings(tmp_path), PBT_SPACE, build, BASE, ["env=pendulum"], lambda line: None, train
    )
    ((configs, run_dirs),) = calls
    assert [d.name for d in run_dirs] == ["member00", "member01", "member02", "member03"]
    assert len({c.agent.tau for c in configs}) == 4
    record = json.loads((run_dirs[0] / "trial.json").read_text())
    assert record["params"] == pbt.values[0]
    with pytest.raises(ConfigError, match="holds a finished population-based training study"):
        run_pbt(settings(tmp_path), PBT_SPACE, build, BASE, [], lambda line: None, train)


def test_a_diverged_member_trains_on_and_its_records_say_it_completed_after_a_revival(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_pbt through ddpg.launch.job.train_population: member 1's NaN learning rate makes it
    diverge at its first update (step 100); held, it copies a top member at the round of step
    250 and completes: its summary says completed and counts the divergence, its lineage
    says what the copy revived it from, and no eval was recorded while it was held."""
    diverge_at_first_update(monkeypatch, member=1)
    tiny = ["network.actor_hidden=[16]", "network.critic_hidden=[16]", "agent.batch_size=16"]

    def small(trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]:
        config, nested = build(trial_overrides)
        network = dataclasses.replace(config.network, actor_hidden=[16], critic_hidden=[16])
        trainer = dataclasses.replace(config.trainer, total_steps=500, progress=False)
        agent = dataclasses.replace(config.agent, batch_size=16)  # learns from step 100
        return dataclasses.replace(config, network=network, trainer=trainer, agent=agent), nested

    base = small([])[0]
    pbt = run_pbt(settings(tmp_path), PBT_SPACE, small, base, tiny, lambda line: None)
    member = tmp_path / "member01"
    summary = json.loads((member / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["divergences"] == 1
    assert summary["env_steps"] == 500 and summary["error"] is None
    (copy,) = json.loads((member / "lineage.json").read_text())["copies"]
    assert copy["step"] == 250 and copy["revives"]["diverged_at"] == 100
    assert "is not finite" in copy["revives"]["error"]
    rows = [line.split(",") for line in (member / "scalars.csv").read_text().splitlines()]
    assert [r[0] for r in rows if r[1] == "eval/return_mean"] == ["500"]  # none while held
    assert not pbt.diverged
    others = [
        json.loads((tmp_path / f"member0{k}" / "summary.json").read_text()) for k in (0, 2, 3)
    ]
    assert [s["divergences"] for s in others] == [0, 0, 0]


def test_a_study_killed_before_its_first_snapshot_starts_over(tmp_path: Path) -> None:
    def killed(configs, run_dirs, on_eval, exploit, on_diverge, snapshots):
        (run_dirs[0] / "scalars.csv").write_text("step,key,value\n1,a,2\n")
        return []  # no summary, no snapshot: as a kill leaves it

    run_pbt(settings(tmp_path), PBT_SPACE, build, BASE, [], lambda line: None, killed)
    calls = []

    def train(configs, run_dirs, on_eval, exploit, on_diverge, snapshots):
        calls.append(snapshots.restore_from)
        assert not (run_dirs[0] / "scalars.csv").exists()  # the killed start is gone
        return []

    run_pbt(settings(tmp_path), PBT_SPACE, build, BASE, [], lambda line: None, train)
    assert calls == [None]
