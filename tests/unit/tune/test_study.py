"""ddpg.tune.study and ddpg.tune.trials: ask/tell/prune wiring with a fake train_population.

The fake trains nothing: member k's eval at step s is `-1000 * tau * s / budget`, reported
through `on_eval` exactly as the trainer does; it writes the summary.json records the real
one writes. So these tests check the study's bookkeeping, not learning.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from ddpg.config.schema import ConfigError, RunConfig, TrainerConfig
from ddpg.launch.job import params_of
from ddpg.storage.files import write_json_atomic
from ddpg.tune.space import parse_space
from ddpg.tune.storage import TuneSettings, base_params, make_pruner, open_study
from ddpg.tune.study import run_study
from ddpg.tune.trials import StudyInterrupted, counted_trials, recover_stale

from .study_inputs import BASE, build

SPACE = parse_space(
    {
        "name": "test",
        "dimensions": [
            {"name": "agent.tau", "type": "float", "low": 0.001, "high": 0.08, "log": True},
            {"name": "agent.batch_size", "type": "categorical", "choices": [64, 128]},
        ],
    }
)


class FakeTrain:
    """Stands in for ddpg.launch.job.train_population; `status(config)` may end a member."""

    def __init__(self, status: Callable[[RunConfig], str | None] = lambda c: None) -> None:
        self.populations: list[list[RunConfig]] = []
        self.status = status

    def __call__(
        self, configs: list[RunConfig], run_dirs: list[Path], on_eval: Any, next_member: Any = None
    ) -> list[dict[str, Any]]:
        self.populations.append(configs)
        total, every = configs[0].trainer.total_steps, configs[0].trainer.eval_every
        ends: dict[int, dict[str, Any]] = {}
        last: dict[int, float] = {}
        for step in range(every, total + 1, every):
            for k, config in enumerate(configs):
                if k in ends:
                    continue
                last[k] = -1000 * config.agent.tau * step / total
                if on_eval(k, step, last[k]):
                    ends[k] = {"status": "pruned", "final_eval_return": last[k], "env_steps": step}
        for k, (config, run_dir) in enumerate(zip(configs, run_dirs, strict=True)):
            summary = ends.get(k) or {"status": "completed", "final_eval_return": last[k]}
            summary = summary | {"env_steps": summary.get("env_steps", total)}
            if (status := self.status(config)) is not None:
                summary = {"status": status, "final_eval_return": None, "env_steps": 10}
            write_json_atomic(run_dir / "params.json", params_of(config))
            write_json_atomic(run_dir / "summary.json", summary)
        return []


class RefillingTrain:
    """Like FakeTrain, but as the trainer does with `next_member`: a slot whose member ended
    (pruned, or at its budget) takes the next trial at once, which starts at its own step 0."""

    def __init__(self) -> None:
        self.populations: list[list[RunConfig]] = []
        self.refills = 0

    def __call__(
        self, configs: list[RunConfig], run_dirs: list[Path], on_eval: Any, next_member: Any
    ) -> list[dict[str, Any]]:
        self.populations.append(list(configs))
        total, every = configs[0].trainer.total_steps, configs[0].trainer.eval_every
        slots = list(zip(configs, run_dirs, strict=True))
        starts, active, tick = [0] * len(slots), set(range(len(slots))), 0
        while active:
            tick += every
            for k in sorted(active):
                (config, run_dir), step = slots[k], tick - starts[k]
                value = -1000 * config.agent.tau * step / total
                pruned = on_eval(k, step, value)
                if not pruned and step < total:
                    continue
                summary = {
                    "status": "pruned" if pruned else "completed",
                    "final_eval_return": value,
                    "env_steps": step,
                }
                write_json_atomic(run_dir / "params.json", params_of(config))
                write_json_atomic(run_dir / "summary.json", summary)
                new = next_member(k)
                if new is None:
                    active.discard(k)
                else:
                    slots[k], starts[k] = new, tick
                    self.refills += 1
        return []


def settings(tmp_path: Path, **changes: Any) -> TuneSettings:
    """Small random-search settings whose median pruner starts after one complete trial."""
    folder = tmp_path / "study"
    defaults: dict[str, Any] = {
        "study": "s",
        "dir": str(folder),
        "storage": str(folder / "journal.log"),
        "n_trials": 8,
        "population": 4,
        "sampler": "random",
        "startup_trials": 1,
        "warmup_evals": 0,
    }
    return TuneSettings(**(defaults | changes))


def open_and_run(s: TuneSettings, train: FakeTrain, log: list[str] | None = None) -> optuna.Study:
    study = open_study(s, base_params(BASE, SPACE), BASE, SPACE)
    run_study(
        study, s, SPACE, build, ["env=pendulum"], train, (log if log is not None else []).append
    )
    return study


def test_every_trial_trains_reports_each_eval_and_is_told(tmp_path: Path) -> None:
    s = settings(tmp_path)
    train = FakeTrain()
    study = open_and_run(s, train)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(8))
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    for population in train.populations:  # split by shape, never above tune.population
        assert len({c.agent.batch_size for c in population}) == 1 and len(population) <= 4
    assert sum(map(len, train.populations)) == 8
    for t in trials:
        run_dir = Path(t.user_attrs["run_dir"])
        assert run_dir.parent == tmp_path / "study" and run_dir.name.endswith(f" trial{t.number}")
        record = json.loads((run_dir / "trial.json").read_text())
        assert record["trial"] == t.number and record["study"] == "s"
        assert record["params"] == t.params
        overrides = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
        assert overrides[0] == "env=pendulum" and overrides[1:] == t.user_attrs["overrides"]
        summary = json.loads((run_dir / "summary.json").read_text())
        steps = sorted(t.intermediate_values)
        assert steps == list(range(250, summary["env_steps"] + 1, 250))  # every eval reported
        if t.state == TrialState.PRUNED:
            assert summary["status"] == "pruned" and t.value == summary["final_eval_return"]
        else:
            assert summary["status"] == "completed" and t.value == summary["final_eval_return"]
    # Worse (larger tau) trials of later populations are pruned against the complete ones.
    assert any(t.state == TrialState.PRUNED for t in trials)


def test_freed_slots_take_the_next_trials_at_once_and_the_study_repeats(tmp_path: Path) -> None:
    """A pruned or finished trial's slot takes the next trial while the study wants more; a
    trial of another shape (batch size) waits for a population of its own. The same settings
    give the same study: the same parameters, states and values, trial by trial."""
    studies, trains = [], []
    for name in ("a", "b"):
        train = RefillingTrain()
        s = settings(tmp_path / name, n_trials=12)
        study = open_study(s, base_params(BASE, SPACE), BASE, SPACE)
        run_study(study, s, SPACE, build, [], train, [].append)
        studies.append(study)
        trains.append(train)
    trials = studies[0].get_trials()
    assert len(trials) == 12
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert trains[0].refills > 0
    assert sum(map(len, trains[0].populations)) + trains[0].refills == 12
    for population in trains[0].populations:
        assert len({c.agent.batch_size for c in population}) == 1
    for t in trials:  # each trial reports from its own first eval on, whenever it started
        steps = sorted(t.intermediate_values)
        assert steps == list(range(250, steps[-1] + 1, 250))
    again = studies[1].get_trials()
    assert [(t.params, t.state, t.value) for t in trials] == [
        (t.params, t.state, t.value) for t in again
    ]


def test_no_pruner_completes_everything(tmp_path: Path) -> None:
    study = open_and_run(settings(tmp_path, pruner="none", n_trials=3), FakeTrain())
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 3


def test_rerun_continues_numbering_and_a_killed_workers_trials_are_asked_again(
    tmp_path: Path,
) -> None:
    s = settings(tmp_path, n_trials=4, pruner="none")
    study = open_and_run(s, FakeTrain())
    dead = subprocess.Popen(["true"])
    dead.wait()
    killed = study.ask({"agent.tau": optuna.distributions.FloatDistribution(0.001, 0.08, log=True)})
    killed.set_user_attr("worker", {"host": _host(), "pid": dead.pid, "start": None})
    run_dir = Path(s.dir) / "4_killed"
    run_dir.mkdir()
    write_json_atomic(run_dir / "summary.json", {"status": "running"})
    killed.set_user_attr("run_dir", str(run_dir))
    log: list[str] = []
    study = open_and_run(dataclasses.replace(s, n_trials=6), FakeTrain(), log)
    trials = study.get_trials()
    assert trials[4].state == TrialState.FAIL
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "failed"
    retry = trials[5]
    assert (
        retry.user_attrs["retry_of"] == 4
        and retry.params["agent.tau"] == killed.params["agent.tau"]
    )
    assert [t.number for t in counted_trials(study)] == [0, 1, 2, 3, 5, 6]
    assert any("trial 4 stopped unfinished" in line for line in log)


def test_a_running_trial_of_a_live_worker_is_left_alone(tmp_path: Path) -> None:
    s = settings(tmp_path, n_trials=1)
    study = open_study(s, base_params(BASE, SPACE), BASE, SPACE)
    trial = study.ask()
    trial.set_user_attr("worker", {"host": _host(), "pid": 1, "start": None})  # init lives
    log: list[str] = []
    recover_stale(study, log.append)
    assert study.get_trials()[0].state == TrialState.RUNNING and "running in another" in log[0]


def test_how_a_run_ended_sets_the_trial_state(tmp_path: Path) -> None:
    def status(config: RunConfig) -> str | None:
        return {0.011: "failed", 0.012: "diverged"}.get(round(config.agent.tau, 3))

    study = open_study(settings(tmp_path), base_params(BASE, SPACE), BASE, SPACE)
    for tau in (0.011, 0.012, 0.02):
        study.enqueue_trial({"agent.tau": tau, "agent.batch_size": 64})
    run_study(study, settings(tmp_path, n_trials=3), SPACE, build, [], FakeTrain(status))
    states = [t.state for t in study.get_trials()]
    # Failed: no retry; diverged before any eval: no value, FAIL; the third completes.
    assert states == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    assert len(study.get_trials()) == 3  # nothing was asked again


def test_interrupted_training_fails_and_requeues_the_whole_batch(tmp_path: Path) -> None:
    def status(config: RunConfig) -> str | None:
        return "interrupted"

    s = settings(tmp_path, n_trials=3, population=3, pruner="none")
    study = open_study(s, base_params(BASE, SPACE), BASE, SPACE)
    study.enqueue_trial({"agent.tau": 0.01, "agent.batch_size": 64})
    study.enqueue_trial({"agent.tau": 0.02, "agent.batch_size": 64})
    study.enqueue_trial({"agent.tau": 0.03, "agent.batch_size": 128})  # a second population
    train = FakeTrain(status)
    with pytest.raises(StudyInterrupted):
        run_study(study, s, SPACE, build, [], train)
    assert len(train.populations) == 1  # the study stopped after the interrupted population
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL] * 3 + [TrialState.WAITING] * 3
    assert [t.user_attrs.get("retry_of") for t in trials[3:]] == [0, 1, 2]
    interrupted = Path(trials[0].user_attrs["run_dir"])
    assert json.loads((interrupted / "summary.json").read_text())["status"] == "failed"
    assert not Path(trials[2].user_attrs["run_dir"]).exists()  # never trained: no run folder
    study = open_and_run(s, FakeTrain())  # the rerun trains the re-queued parameters
    assert [t.params["agent.tau"] for t in study.get_trials()[3:]] == [0.01, 0.02, 0.03]
    assert [t.state for t in study.get_trials()[3:]] == [TrialState.COMPLETE] * 3


def test_a_rejected_trial_config_fails_alone(tmp_path: Path) -> None:
    space = parse_space(
        {"dimensions": [{"name": "agent.batch_size", "type": "categorical", "choices": [0, 64]}]}
    )
    s = settings(tmp_path, n_trials=2, pruner="none")
    study = open_study(s, base_params(BASE, space), BASE, space)
    study.enqueue_trial({"agent.batch_size": 0})
    study.enqueue_trial({"agent.batch_size": 64})
    log: list[str] = []
    run_study(study, s, space, build, [], FakeTrain(), log.append)
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.COMPLETE]
    rejected = Path(study.get_trials()[0].user_attrs["run_dir"])
    summary = json.loads((rejected / "summary.json").read_text())
    assert summary["status"] == "failed" and "agent.batch_size=0 is invalid" in summary["error"]
    assert json.loads((rejected / "params.json").read_text()) == {"agent.batch_size": 0}


def test_a_study_continues_only_with_its_base_config(tmp_path: Path) -> None:
    s = settings(tmp_path)
    open_study(s, base_params(BASE, SPACE), BASE, SPACE)
    other = dataclasses.replace(BASE, seed=3)
    with pytest.raises(ConfigError, match=r"^seed=3 differs from 0, the value study 's'"):
        open_study(s, base_params(other, SPACE), other, SPACE)
    # A key some dimension sets is no part of the base: changing it changes nothing.
    tau = dataclasses.replace(BASE, agent=dataclasses.replace(BASE.agent, tau=0.5))
    open_study(s, base_params(tau, SPACE), tau, SPACE)
    linear = parse_space(
        {"dimensions": [{"name": "agent.tau", "type": "float", "low": 0.001, "high": 0.08}]}
    )
    with pytest.raises(ConfigError, match="search dimension 'agent.tau' is a different"):
        open_study(s, base_params(BASE, linear), BASE, linear)


def test_unwritable_storage_and_damaged_journal_are_one_line_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="^tune.storage=.* is not writable"):
        open_study(settings(tmp_path, storage=str(blocker / "j.log")), {}, BASE, SPACE)
    with pytest.raises(ConfigError, match="^tune.dir=.* is not writable"):
        open_study(settings(tmp_path, dir=str(blocker / "d")), {}, BASE, SPACE)
    journal = tmp_path / "bad.log"
    journal.write_text("not a journal\n")
    with pytest.raises(ConfigError, match="cannot be read as an Optuna journal"):
        open_study(settings(tmp_path, storage=str(journal)), {}, BASE, SPACE)
    # None of these leaves a folder behind: not the trials' folder, not one for the journal.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.log", "file"]
    deep = settings(tmp_path, storage=str(journal), dir=str(tmp_path / "new" / "study"))
    with pytest.raises(ConfigError, match="cannot be read as an Optuna journal"):
        open_study(deep, {}, BASE, SPACE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.log", "file"]


def test_pruner_warmup_follows_the_eval_cadence(tmp_path: Path) -> None:
    base = dataclasses.replace(BASE, trainer=TrainerConfig(total_steps=20000, eval_every=2000))
    median = make_pruner(settings(tmp_path, warmup_evals=None), base)
    assert isinstance(median, optuna.pruners.MedianPruner)
    assert median._n_warmup_steps == 6000  # a third of 10 evals, as the zoo
    halving = make_pruner(settings(tmp_path, pruner="halving", warmup_evals=0), base)
    assert isinstance(halving, optuna.pruners.SuccessiveHalvingPruner)
    assert halving._min_resource == 2000
    none = make_pruner(settings(tmp_path, pruner="none"), base)
    assert isinstance(none, optuna.pruners.NopPruner)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="tune.pruner='asha' is invalid"):
        TuneSettings(pruner="asha")
    with pytest.raises(ConfigError, match="tune.n_trials=0 is invalid"):
        TuneSettings(n_trials=0)


def _host() -> str:
    return socket.gethostname()
