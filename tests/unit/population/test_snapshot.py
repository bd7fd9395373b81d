"""ddpg.population.snapshot through ddpg.launch.job.train_population: a population whose slot is
refilled, stopped after a snapshot (the next one fails to write: what a kill leaves), continued
from that snapshot, ends exactly as the uninterrupted population, every member's rows alike."""

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import diverge_at_first_update, tiny_member_config

from ddpg.config.schema import RunConfig
from ddpg.launch.job import train_population
from ddpg.population.member_change import MemberChange
from ddpg.population.snapshot import Snapshots
from ddpg.storage.checkpoint import list_checkpoints, read_checkpoint_state

BASE = tiny_member_config(hidden=(8,), batch_size=8, normalized=True, total_steps=90, eval_every=30)
EVERY = 20  # snapshot ticks: not on the eval cadence, so episodes are cut mid-way


class Study:
    """Prunes slot 1's member at its first eval; the freed slot takes seeds 7 then 8; its state
    is the refills handed out."""

    def __init__(self, root: Path, state: dict[str, Any] | None = None) -> None:
        self.root, self.given = root, (state or {"given": 0})["given"]
        self.fail_after: int | None = None  # snapshots before the study state "fails"
        self.saved = 0

    def on_eval(self, member: int, step: int, mean: float) -> bool:
        return member == 1 and step == 30

    def next_member(self, k: int) -> tuple[RunConfig, Path] | None:
        if self.given >= 2:
            return None
        self.given += 1
        seed = 6 + self.given
        return dataclasses.replace(BASE, seed=seed), self.root / f"seed{seed}"

    def state(self) -> dict[str, Any]:
        if self.fail_after is not None and self.saved >= self.fail_after:
            raise RuntimeError("killed")  # before the snapshot is written, as a kill would
        self.saved += 1
        return {"given": self.given}

    def train(self, snapshots: Snapshots) -> None:
        configs = [dataclasses.replace(BASE, seed=k) for k in range(3)]
        run_dirs = [self.root / f"seed{k}" for k in range(3)]
        status = self.root.parent / f"{self.root.name}_status.json"  # the progress
        train_population(
            configs, run_dirs, self.on_eval, status, self.next_member, snapshots=snapshots
        )


def rows(root: Path) -> dict[str, list[str]]:
    return {
        d.name: [r for r in (d / "scalars.csv").read_text().splitlines() if ",perf/" not in r]
        for d in sorted(root.iterdir())
        if (d / "scalars.csv").is_file()
    }


def finals(root: Path) -> dict[str, tuple]:
    out = {}
    for d in sorted(root.iterdir()):
        if (d / "summary.json").is_file():
            s = json.loads((d / "summary.json").read_text())
            out[d.name] = (s["status"], s["env_steps"], s["final_eval_return"])
    return out


def same_checkpoints(whole: Path, killed: Path) -> int:
    """Every checkpoint in `whole` is in `killed`, array for array; how many there are."""
    found = sorted(whole.glob("seed*/checkpoints/step_*/arrays.npz"))
    for path in found:  # weights, optimizer state, replay, normalizers
        with np.load(path) as a, np.load(killed / path.relative_to(whole)) as b:
            assert sorted(a.files) == sorted(b.files)
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{path}: {key}")
    return len(found)


def test_a_population_continued_from_its_snapshot_ends_as_the_uninterrupted_one(tmp_path):
    whole = Study(tmp_path / "whole")
    whole.train(Snapshots(tmp_path / "whole_snaps", EVERY, 2, whole.state))

    killed = Study(tmp_path / "killed")
    killed.fail_after = 3  # the 4th snapshot (tick 80) fails: tick 60 is the newest
    snaps = tmp_path / "killed_snaps"
    with pytest.raises(RuntimeError, match="killed"):
        killed.train(Snapshots(snaps, EVERY, 2, killed.state))
    newest = list_checkpoints(snaps)[-1]
    state = read_checkpoint_state(newest)
    # After a refill (slot 1 took seed 7 at tick 30), its member just pruned: slot 1 waits.
    assert state["tick"] == 60 and state["offsets"][1] == 30 and state["freed"] == [1]
    assert state["retired_steps"] == 30  # seed 1's, pruned at step 30 in slot 1
    assert (tmp_path / "killed" / "seed8").is_dir()  # started after it: trained again below

    again = Study(tmp_path / "killed", state["study"])
    again.train(Snapshots(snaps, EVERY, 2, again.state, restore_from=newest))
    assert rows(tmp_path / "killed") == rows(tmp_path / "whole")
    assert finals(tmp_path / "killed") == finals(tmp_path / "whole")
    assert len(finals(tmp_path / "whole")) == 5
    # The progress counts every member's steps, those trained before the snapshot included:
    # seeds 0 and 2 train 90 steps, seeds 1, 7 and 8 in slot 1 are pruned at 30: (2 x 90 +
    # 3 x 30) / 3 slots; the continued study's counts end where the whole one's do.
    status = [json.loads((tmp_path / f"{n}_status.json").read_text()) for n in ("whole", "killed")]
    assert [(s["step"], s["total_steps"], s["finished"]) for s in status] == [(90, 90, True)] * 2
    assert same_checkpoints(tmp_path / "whole", tmp_path / "killed") == 5  # each member's final


def test_a_plain_population_takes_no_snapshot(tmp_path):
    configs = [dataclasses.replace(BASE, seed=k) for k in range(2)]
    train_population(configs, [tmp_path / f"seed{k}" for k in range(2)])
    assert not list(tmp_path.rglob("snapshots"))
    # checkpoint_every=0: each member's final checkpoint only, in its own folder
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("step_*"))
    assert found == [f"seed{k}/checkpoints/step_000000090" for k in range(2)]


class Held:
    """Population-based training's hold, as ddpg.tune.pbt drives it: member 1 (a NaN actor
    learning rate from the start) diverges at its first update (step 20) and is held; at the
    round of step 30 it copies member 0. Its snapshot state is empty: the trainer keeps the
    hold. `fail_after`: snapshots before the study state "fails" (a kill)."""

    def __init__(self, root: Path, fail_after: int | None = None) -> None:
        self.root, self.fail_after, self.saved = root, fail_after, 0
        self.configs = [dataclasses.replace(BASE, seed=k) for k in range(2)]

    def exploit(self, members: np.ndarray, step: int) -> list[MemberChange]:
        return [MemberChange(1, 0, self.configs[1], {})] if step == 30 else []

    def state(self) -> dict[str, Any]:
        if self.fail_after is not None and self.saved >= self.fail_after:
            raise RuntimeError("killed")
        self.saved += 1
        return {}

    def train(self, snapshots: Snapshots) -> None:
        run_dirs = [self.root / f"seed{k}" for k in range(2)]
        on_diverge = lambda k, step, why: True  # noqa: E731
        train_population(
            self.configs, run_dirs, exploit=self.exploit, on_diverge=on_diverge, snapshots=snapshots
        )


@pytest.mark.parametrize("kept", [1, 2])  # tick 25: member 1 held; tick 50: revived at 30
def test_a_population_killed_while_a_member_is_held_or_after_its_revival_continues_alike(
    tmp_path, monkeypatch, kept
):
    diverge_at_first_update(monkeypatch, member=1)
    Held(tmp_path / "whole").train(Snapshots(tmp_path / "whole_snaps", 25, 5, lambda: {}))
    snaps = tmp_path / "killed_snaps"
    killed = Held(tmp_path / "killed", fail_after=kept)
    with pytest.raises(RuntimeError, match="killed"):
        killed.train(Snapshots(snaps, 25, 5, killed.state))
    newest = list_checkpoints(snaps)[-1]
    state = read_checkpoint_state(newest)
    assert state["tick"] == 25 * kept
    held = state["held"]
    if kept == 1:
        assert [k for k, _ in held] == [1] and "is not finite" in held[0][1]
        assert not (tmp_path / "killed" / "seed1" / "checkpoints").exists()  # never while held
    else:
        assert held == []
    assert state["slots"][1]["train"]["divergences"] == 1
    again = Held(tmp_path / "killed")
    again.train(Snapshots(snaps, 25, 5, again.state, restore_from=newest))
    assert rows(tmp_path / "killed") == rows(tmp_path / "whole")
    assert finals(tmp_path / "killed") == finals(tmp_path / "whole")
    summaries = [
        json.loads((tmp_path / f"killed/seed{k}/summary.json").read_text()) for k in (0, 1)
    ]
    assert [(s["status"], s["divergences"]) for s in summaries] == [
        ("completed", 0),
        ("completed", 1),
    ]
    assert same_checkpoints(tmp_path / "whole", tmp_path / "killed") == 2
