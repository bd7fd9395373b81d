"""An Optuna study whose trials are runs: batches of asked trials trained as populations.

Each batch of `tune.population` asked trials is split by shape (ddpg.population.keys) into
populations; every member reports each periodic eval with `trial.report`, and a member the
pruner stops is told PRUNED at once and frozen. A slot whose trial ended (pruned, completed,
diverged) takes the next trial at once, while the study wants more: every trial that has ended
by then is told first (so the sampler and the pruner know it), then the next one is asked and
started in the freed slot at its own step 0 (ddpg.population.trainer.Trainer.reset_member).
A trial asked for a slot whose shape it does not share waits for a population of its own.
Asks and tells follow the training's deterministic order, so the same command gives the same
study. How each run ended becomes the trial's state (:func:`ddpg.tune.trials.tell_outcome`);
without snapshots, a run that was stopped unfinished is failed and its parameters asked again;
with them (ddpg.tune.snapshots) the study continues from its newest snapshot. The loop itself
is ddpg.tune.study_loop's. No Hydra here: ``ddpg.tune`` passes in how a trial is composed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna
from tqdm import tqdm

from ddpg.config.schema import RunConfig
from ddpg.launch.job import read_summary
from ddpg.population.snapshot import Snapshots, save_study_state
from ddpg.tune.snapshots import StudySnapshots, finish
from ddpg.tune.space import SearchSpace
from ddpg.tune.storage import TuneSettings
from ddpg.tune.study_loop import NextMember, StudyLoop, Train
from ddpg.tune.trial_members import Log, TrialBuilder
from ddpg.tune.trials import StudyInterrupted, recover_stale, tell_outcome

if TYPE_CHECKING:
    from ddpg.population.trainer import OnEval

__all__ = ["Log", "TrialBuilder", "run_study"]


def run_study(
    study: optuna.Study,
    settings: TuneSettings,
    space: SearchSpace,
    build: TrialBuilder,
    base_overrides: list[str],
    train: Train | None = None,
    log: Log = tqdm.write,
    snapshots: StudySnapshots | None = None,
) -> None:
    """Ask, train and tell trials until the study has `settings.n_trials`. `log` gets the
    study's lines; the default writes them above the training's progress bar, never into it.
    `snapshots`: snapshot the study (at its start, then its populations: ddpg.tune.snapshots)
    and continue from `snapshots.resume` if set; None: no snapshots.

    Raises:
        StudyInterrupted: SIGINT/SIGTERM stopped training (or Ctrl-C came between
            populations); with snapshots the newest one continues the study, without them
            the unfinished trials were failed and their parameters re-queued.
    """
    if train is None:
        from ddpg.launch.job import train_population

        def train(
            configs: list[RunConfig],
            run_dirs: list[Path],
            on_eval: OnEval | None,
            next_member: NextMember | None,
            snapshots: Snapshots | None = None,
        ) -> list[dict[str, Any]]:
            population = configs[0]
            return train_population(
                configs,
                run_dirs,
                on_eval,
                next_member=next_member,
                upcoming=lambda: loop.upcoming(population),  # the progress bar's total
                snapshots=snapshots,
            )

    loop = StudyLoop(study, settings, space, build, base_overrides, train, log, snapshots)
    if snapshots is not None and snapshots.resume is not None:
        path, state = snapshots.resume
        loop.restore(state["study"]["optuna"])
        loop.restore_from = path if "slots" in state else None
    else:
        recover_stale(study, log)
        if snapshots is not None:  # what a kill before the first population's goes back to
            save_study_state(snapshots.directory, {}, {"study": loop.snapshot_state()}, 2)
    try:
        loop.run()
    except (KeyboardInterrupt, StudyInterrupted):
        if snapshots is None:  # settle every asked trial, trained or not
            for trial in loop.asked:
                run_dir = Path(str(trial.user_attrs.get("run_dir", "")))
                summary = read_summary(run_dir / "summary.json") if run_dir.name else {}
                tell_outcome(study, trial.number, summary, log)
        raise StudyInterrupted("interrupted") from None
    if snapshots is not None:
        finish(settings.dir)
