"""ddpg.tune.pbt: the refusal, exploit's decisions and records, held members, its saved state."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import diverge_at_first_update

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.storage.files import write_json_atomic
from ddpg.tune.pbt import PopulationBasedTraining, check_pbt, run_pbt
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


def _pbt(tmp_path: Path) -> PopulationBasedTraining:
    members = []
    for k, tau in enumerate((0.01, 0.02, 0.03, 0.04)):
        values = {"agent.tau": tau, "noise": "gaussian", "noise.sigma": 0.1 * (k + 1)}
        members.append((values, build([f"agent.tau={tau}"])[0], tmp_path / f"member{k:02d}"))
    return PopulationBasedTraining(
        settings(tmp_path), PBT_SPACE, build, 250, members, lambda line: None
    )


def _play(pbt: PopulationBasedTraining, rounds: tuple) -> list:
    """Each round's evals (none from a held member: the trainer evaluates none), then its
    exploit; every round's decisions (target, source, config, scalars)."""
    decisions = []
    for step, evals in rounds:
        for k, value in enumerate(evals):
            if k not in pbt.diverged:
                pbt.on_eval(k, step, float(value))
        changes = pbt.exploit(np.arange(4), step)
        decisions.append([(c.target, c.source, c.config, c.scalars) for c in changes])
    return decisions


def _assert_same_member_records(study: Path, reference: Path) -> None:
    """Each of the four members' schedule.json and lineage.json are those of `reference`."""
    for name in ("schedule.json", "lineage.json"):
        for k in range(4):
            member = f"member{k:02d}/{name}"
            assert (study / member).read_text() == (reference / member).read_text()


def test_the_bottom_copies_the_top_and_the_records_say_so(tmp_path: Path) -> None:
    pbt = _pbt(tmp_path)
    for k, value in enumerate((-300.0, -100.0, -500.0, -200.0)):
        assert pbt.on_eval(k, 250, value) is False
    assert pbt.exploit(np.arange(4), 100) == []  # not a round's step
    changes = pbt.exploit(np.arange(4), 250)
    assert [c.target for c in changes] == [0, 1, 2, 3]
    # 4 members x 0.25: member 2 (worst) copies member 1 (best); the others keep their values.

    copied = [c for c in changes if c.source is not None]
    assert [(c.target, c.source) for c in copied] == [(2, 1)]
    new = pbt.values[2]
    assert 0.001 <= new["agent.tau"] <= 0.08 and new != {
        "agent.tau": 0.03,
        "noise": "gaussian",
        "noise.sigma": 0.30000000000000004,
    }
    assert copied[0].config.agent.tau == pytest.approx(new["agent.tau"])
    assert copied[0].scalars["pbt/agent.tau"] == pytest.approx(new["agent.tau"])
    assert changes[0].scalars == {
        "pbt/agent.tau": 0.01,
        "pbt/noise": 1.0,  # gaussian, the second choice
        "pbt/noise.sigma": 0.1,
    }
    lineage = json.loads((tmp_path / "member02" / "lineage.json").read_text())
    assert lineage == {
        "member": 2,
        "copies": [{"step": 250, "source": 1, "source_run": "member01"}],
    }
    schedule = json.loads((tmp_path / "member02" / "schedule.json").read_text())["schedule"]
    assert [entry["step"] for entry in schedule] == [0, 250]
    assert (
        schedule[1]["params"] == new
        and f"agent.tau={new['agent.tau']!r}" in schedule[1]["overrides"]
    )
    assert schedule[1]["scalars"] == copied[0].scalars  # what a replay logs at its steps
    untouched = json.loads((tmp_path / "member01" / "schedule.json").read_text())["schedule"]
    assert (
        len(untouched) == 1
        and not json.loads((tmp_path / "member01" / "lineage.json").read_text())["copies"]
    )
    assert pbt.exploit(np.arange(4), 1000) == []  # the budget's end: members stop there


def test_the_same_seed_makes_the_same_decisions(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        pbt = _pbt(tmp_path / name)
        runs.append(_play(pbt, ((250, (-3, -1, -5, -2)), (500, (-1, -4, -2, -3)))))
    assert runs[0] == runs[1]


def test_a_pbt_continued_from_its_saved_state_decides_as_the_uninterrupted_one(
    tmp_path: Path,
) -> None:
    rounds = ((250, (-3, -1, -5, -2)), (500, (-1, -4, -2, -3)), (750, (-2, -3, -1, -4)))

    whole = _pbt(tmp_path / "whole")
    expected = _play(whole, rounds)
    first = _pbt(tmp_path / "killed")
    _play(first, rounds[:1])
    for k in range(4):  # what a kill may leave: records written after the snapshot
        (tmp_path / "killed" / f"member{k:02d}" / "schedule.json").write_text("{}")
    saved = json.loads(json.dumps(first.state()))  # as state.json keeps it
    again = _pbt(tmp_path / "killed")  # a new process draws the same first members
    again.load_state(saved, list(first.configs))
    assert _play(again, rounds[1:]) == expected[1:]
    _assert_same_member_records(tmp_path / "killed", tmp_path / "whole")


def test_a_pbt_saved_while_a_member_is_held_revives_it_as_the_uninterrupted_one(
    tmp_path: Path,
) -> None:
    """Member 2 diverges at step 260 and is held; the state saved then keeps the hold, so the
    continued study revives it at the round of step 500 as the uninterrupted one does (the
    same copy, values and lineage `revives`), and its later rounds decide alike."""
    why = "training diverged at env step 260: loss/critic is not finite"

    rounds = ((500, (-1, -4, -2, -3)), (750, (-2, -3, -1, -4)))
    runs = []
    for name in ("whole", "killed"):
        pbt = _pbt(tmp_path / name)
        _play(pbt, ((250, (-3, -1, -5, -2)),))
        assert pbt.on_diverge(2, 260, why)
        if name == "killed":
            saved = json.loads(json.dumps(pbt.state()))  # as state.json keeps it
            assert saved["diverged"] == [[2, {"diverged_at": 260, "error": why}]]
            pbt = _pbt(tmp_path / name)  # a new process draws the same first members
            pbt.load_state(saved, list(pbt.configs))
            assert pbt.diverged == {2: {"diverged_at": 260, "error": why}}
        runs.append(_play(pbt, rounds))
    assert runs[0] == runs[1]
    assert 2 in {target for target, source, _, _ in runs[0][0] if source is not None}
    _assert_same_member_records(tmp_path / "killed", tmp_path / "whole")
    lineage = json.loads((tmp_path / "killed" / "member02" / "lineage.json").read_text())
    revived = [(c["step"], c["revives"]) for c in lineage["copies"] if "revives" in c]
    assert revived == [(500, {"diverged_at": 260, "error": why})]


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


def test_equal_evals_are_ranked_by_the_study_generator_not_the_member_index(tmp_path: Path) -> None:
    """Four members with the same eval (MountainCar members that never reach the goal): who
    copies whom is drawn, so every index may copy or be copied; the same seed, the same draw."""
    pairs = set()
    for seed in range(40):
        pbt = _pbt(tmp_path / str(seed))
        pbt.rng = np.random.default_rng(seed)
        for k in range(4):
            pbt.on_eval(k, 250, -0.5)
        pairs |= {
            (c.target, c.source) for c in pbt.exploit(np.arange(4), 250) if c.source is not None
        }
    assert {target for target, _ in pairs} == {0, 1, 2, 3}
    assert {source for _, source in pairs} == {0, 1, 2, 3}
    ranked = []
    for name in ("a", "b"):
        pbt = _pbt(tmp_path / name)
        for k in range(4):
            pbt.on_eval(k, 250, -0.5)
        ranked.append(pbt.rank([0, 1, 2, 3]))
    assert ranked[0] == ranked[1]  # settings' seed 3, both times


def test_a_diverged_member_ranks_last_at_the_next_round_and_copies_a_top_member(
    tmp_path: Path,
) -> None:
    pbt = _pbt(tmp_path)
    for k, value in enumerate((-300.0, -100.0, -500.0, -200.0)):
        pbt.on_eval(k, 250, value)
    assert pbt.on_diverge(1, 260, "training diverged at env step 260: loss/critic is not finite")
    assert not pbt.on_diverge(3, 760, "late")  # no round before the budget (1000): it ends
    changes = pbt.exploit(np.arange(4), 500)  # member 1's latest eval was the best: it is held
    copied = {c.target: c.source for c in changes if c.source is not None}
    assert set(copied) == {1} and copied[1] in (0, 3)  # 4 x 0.25: the held alone copies
    (entry,) = json.loads((tmp_path / "member01" / "lineage.json").read_text())["copies"]
    assert entry["step"] == 500 and entry["source"] == copied[1]
    assert entry["revives"] == {
        "diverged_at": 260,
        "error": "training diverged at env step 260: loss/critic is not finite",
    }
    schedule = json.loads((tmp_path / "member01" / "schedule.json").read_text())["schedule"]
    assert [e["step"] for e in schedule] == [0, 500]
    assert not pbt.diverged
    # With no finite member left to copy, the held member gets nothing and the trainer ends it.
    for k in (0, 2, 3):
        pbt.on_eval(k, 750, math.nan)
    assert pbt.on_diverge(1, 510, "again")
    changes = pbt.exploit(np.arange(4), 750)
    assert all(c.source is None for c in changes) and not pbt.diverged


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
