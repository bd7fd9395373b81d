"""ddpg.tune.snapshots: the journal cut back to a snapshot's moment, the sampler's random state,
and the snapshot folder's life (newest, damaged, removed when the study ends)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ddpg.config.schema import ConfigError
from ddpg.population.snapshot import save_study_state
from ddpg.tune.snapshots import (
    drop_later_trials,
    finish,
    journal_mark,
    latest_snapshot,
    load_sampler_state,
    rewind_journal,
    sampler_state,
    snapshot_dir,
)
from ddpg.tune.trials import worker_record


def suggest(study: optuna.Study, n: int) -> list[float]:
    values = []
    for _ in range(n):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        study.tell(trial, (x - 0.3) ** 2)
        values.append(x)
    return values


def journal_study(path: Path, sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    storage = JournalStorage(JournalFileBackend(str(path)))
    return optuna.create_study(
        storage=storage, study_name="s", sampler=sampler, load_if_exists=True
    )


@pytest.mark.parametrize("kind", ["random", "tpe"])
def test_journal_and_sampler_state_make_the_next_asks_those_of_the_uninterrupted_study(
    tmp_path: Path, kind: str
) -> None:
    def sampler(seed: int) -> optuna.samplers.BaseSampler:
        if kind == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=3)

    journal = tmp_path / "journal.log"
    study = journal_study(journal, sampler(0))
    suggest(study, 4)
    mark, state = journal_mark(journal), sampler_state(study.sampler)
    uninterrupted = suggest(study, 4)

    rewind_journal(journal, mark)  # a kill after the snapshot: its later trials go
    continued = journal_study(journal, sampler(99))  # as reopened: another seed
    assert len(continued.trials) == 4
    assert suggest(continued, 4) != uninterrupted  # the journal alone is not enough
    rewind_journal(journal, mark)
    continued = journal_study(journal, sampler(99))
    load_sampler_state(continued.sampler, state)
    assert suggest(continued, 4) == uninterrupted


def test_another_journal_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "journal.log"
    journal.write_text("one\ntwo\n")
    mark = journal_mark(journal)
    journal.write_text("ONE\ntwo\nthree\n")
    with pytest.raises(ConfigError, match="not the journal"):
        rewind_journal(journal, mark)
    assert journal.read_text() == "ONE\ntwo\nthree\n"  # untouched


def test_folders_of_trials_asked_after_the_snapshot_are_removed(tmp_path: Path) -> None:
    journal = tmp_path / "journal.log"
    study = journal_study(journal, optuna.samplers.RandomSampler(seed=0))
    for n in range(3):
        trial = study.ask()
        (tmp_path / f"trial{n}").mkdir()
        trial.set_user_attr("run_dir", str(tmp_path / f"trial{n}"))  # no worker: a dead one
    drop_later_trials(journal, "s", 1)
    assert sorted(p.name for p in tmp_path.glob("trial*")) == ["trial0"]
    live = study.ask()
    live.set_user_attr("worker", worker_record())  # this very process: alive
    with pytest.raises(ConfigError, match="running in another process"):
        drop_later_trials(journal, "s", 1)


def test_the_newest_snapshot_is_read_verified_and_removed_when_the_study_ends(
    tmp_path: Path,
) -> None:
    assert latest_snapshot(tmp_path) is None
    folder = snapshot_dir(tmp_path)
    for n in range(3):
        save_study_state(folder, {"a": np.arange(n + 1)}, {"study": {"n": n}}, keep=2)
    path, state = latest_snapshot(tmp_path)  # type: ignore[misc]
    assert path.name == "step_000000003" and state["study"] == {"n": 2}
    assert len(list(folder.glob("step_*"))) == 2  # keep
    (path / "arrays.npz").write_bytes(b"damaged")
    with pytest.raises(ConfigError, match="arrays.npz"):
        latest_snapshot(tmp_path)
    finish(tmp_path)
    assert not folder.exists() and latest_snapshot(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == []
