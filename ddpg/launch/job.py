"""One training job: build, train (or resume), and record how it ended in summary.json.

No Hydra here: `run.py` (and sweep launchers) call `train_run` with a validated RunConfig.
What `resume=` continues from, and whether anything is left to train, is
ddpg.launch.resume_plan's.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddpg.config.schema import ConfigError, RunConfig, flatten
from ddpg.storage.files import read_json_object, write_json_atomic

if TYPE_CHECKING:
    from ddpg.population.snapshot import Snapshots
    from ddpg.population.trainer import Exploit, OnDiverge, OnEval


def params_of(config: RunConfig) -> dict[str, Any]:
    """The resolved config flattened to dotted keys, as written to params.json."""
    return flatten(dataclasses.asdict(config))


def read_summary(path: Path) -> dict[str, Any]:
    """A summary.json record; {} when it is missing or unreadable."""
    try:
        return read_json_object(path)
    except ValueError:
        return {}


def train_run(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one run into `run_dir` (continuing `config.resume` if set): a population of one."""
    return train_population([config], [run_dir])[0]


#: Asked when slot k frees (its member ended, summary.json written): the next member to train
#: there, (config, run dir), or None to leave the slot empty.
NextMember = Callable[[int], "tuple[RunConfig, Path] | None"]


def train_population(
    configs: list[RunConfig],
    run_dirs: list[Path],
    on_eval: OnEval | None = None,
    status_path: Path | None = None,
    next_member: NextMember | None = None,
    exploit: Exploit | None = None,
    on_diverge: OnDiverge | None = None,
    upcoming: Callable[[], int] | None = None,
    snapshots: Snapshots | None = None,
) -> list[dict[str, Any]]:
    """Train members `configs` together, member k into `run_dirs[k]`; return their summaries
    (those of members that `next_member` started in freed slots too, in the order they ended).

    Each member's summary.json says "running" while it trains, then how it ended: completed,
    stopped_early, diverged (frozen; the others train on), interrupted or failed (the traceback
    goes to error.log), or pruned (`on_eval`, called after each member's periodic eval, said
    stop). Members that resume (config.resume) must all be at the same env step. `status_path`:
    the progress kept for a launcher to show (ddpg.population.progress). `exploit`:
    population-based training's changes after each step's evaluations (ddpg.tune.pbt), and
    `on_diverge` whether a diverged member waits for them instead of ending (it is then written
    "running" until it ends; `divergences` in its summary counts them). `upcoming`: how many
    more members `next_member` will start (the progress bar's total counts them). `snapshots`:
    a study's snapshots of the whole population (ddpg.population.snapshot); one to continue
    from gives the members (its slots' configs and folders replace `configs`, `run_dirs`).
    Exceptions other than an interruption propagate after every member is recorded.

    Raises:
        ConfigError: The configs differ in a key that members must share (a shape, the budget:
            ddpg.population.keys), before anything is written; or resumes are at other steps.
    """
    from ddpg.algo.tf_startup import import_tensorflow

    import_tensorflow()  # before population.build imports it: start-up notices stay quiet
    from ddpg.population.build import build, configure_tensorflow
    from ddpg.population.keys import mismatched_keys
    from ddpg.population.snapshot import snapshot_members
    from ddpg.population.train_state import InterruptedRun, TrainState, summary_of
    from ddpg.population.trainer import Trainer
    from ddpg.storage.checkpoint import load_checkpoint, rewind_logs
    from ddpg.storage.metrics import MetricsWriter

    restored = None
    if snapshots is not None and snapshots.restore_from is not None:
        restored = load_checkpoint(snapshots.restore_from)
        configs, run_dirs = snapshot_members(restored[1])
    mismatched = mismatched_keys([params_of(config) for config in configs])
    if mismatched:  # before anything is written: member 0's settings would silently win
        raise ConfigError(
            f"members of one population must share {', '.join(mismatched)}: train configs "
            "that differ there as separate populations (ddpg.population.keys)"
        )
    configs, run_dirs = list(configs), [Path(d) for d in run_dirs]
    for run_dir in run_dirs:
        run_dir.mkdir(parents=True, exist_ok=True)
    configure_tensorflow(configs[0].trainer.threads)
    started = time.perf_counter()
    components = build(configs)  # env problems surface here, before anything is written
    loaded = {k: load_checkpoint(Path(str(c.resume))) for k, c in enumerate(configs) if c.resume}
    steps = {saved["train"]["step"] for _, saved in loaded.values()}
    if len(steps) > 1 or (loaded and len(loaded) < len(configs)):
        raise ConfigError("members of one population must resume from the same env step")
    for k, (_, saved) in loaded.items():
        rewind_logs(run_dirs[k], saved["train"]["step"])
    if restored is not None:  # every slot resumes, ended ones too (their files stay as they are)
        for k, slot in enumerate(restored[1]["slots"]):
            rewind_logs(run_dirs[k], slot["train"]["step"])
            loaded[k] = ({}, slot)
    for config, run_dir in zip(configs, run_dirs, strict=True):
        # On resume too: a raised budget is part of the run's config from now on (where it
        # resumed from is not: that would set its runs apart from their peers in compare).
        params = params_of(dataclasses.replace(config, resume=None))
        write_json_atomic(run_dir / "params.json", params)
    writers = [MetricsWriter(d, append=k in loaded) for k, d in enumerate(run_dirs)]
    summaries: list[dict[str, Any] | None] = [None] * len(configs)

    def record(k: int, status: str, error: str | None) -> None:
        summary = summary_of(records.states[k], configs[k], records.wall_time(k), status)
        summary["error"] = error
        write_json_atomic(run_dirs[k] / "summary.json", summary)
        summaries[k] = summary

    ended: list[dict[str, Any]] = []  # summaries of members whose slot another took

    def on_free(k: int) -> tuple[RunConfig, Path, MetricsWriter] | None:
        new = next_member(k) if next_member is not None else None
        if new is None:
            return None
        config, run_dir = new
        writers[k].close()
        _save_returns_plot(run_dirs[k])
        if summaries[k] is not None:
            ended.append(summaries[k])  # type: ignore[arg-type]
        summaries[k] = None
        configs[k], run_dirs[k] = config, Path(run_dir)
        run_dirs[k].mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dirs[k] / "params.json", params_of(config))
        running = summary_of(TrainState(), config, 0.0, "running")
        write_json_atomic(run_dirs[k] / "summary.json", running)
        writer = MetricsWriter(run_dirs[k])
        writer.hparams(params_of(config))
        return config, run_dirs[k], writer

    trainer = Trainer(
        configs,
        components,
        run_dirs,
        writers,
        started,
        record,
        on_eval,
        status_path,
        on_free,
        exploit,
        on_diverge,
        upcoming,
    )
    records = trainer.records

    if restored is not None:
        trainer.restore_snapshot(*restored)
    elif loaded:
        trainer.restore(
            {k: arrays for k, (arrays, _) in loaded.items()},
            {k: saved for k, (_, saved) in loaded.items()},
        )
        for state in records.states:  # resuming means training on: stop rules re-apply
            state.status, state.stopped_early = "running", False
    if snapshots is not None:
        trainer.use_snapshots(snapshots)
    for k, config in enumerate(configs):
        if records.states[k].status != "running":  # ended before the snapshot: its summary stays
            continue
        running = summary_of(records.states[k], config, records.wall_time(k), "running")
        write_json_atomic(run_dirs[k] / "summary.json", running)
        if k not in loaded:
            writers[k].hparams(params_of(config))
    try:
        trainer.train()
    except (InterruptedRun, KeyboardInterrupt) as exc:
        for k in trainer.running:
            record(k, "interrupted", str(exc) or "interrupted")
    except Exception as exc:
        for k in trainer.running:
            (run_dirs[k] / "error.log").write_text(traceback.format_exc())
            record(k, "failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        for k in trainer.running:  # stopped by something no handler above saw
            if summaries[k] is None:
                record(k, "failed", "training stopped unexpectedly")
        for writer in writers:
            writer.close()
        components.close()
        for run_dir in run_dirs:
            _save_returns_plot(run_dir)
    return ended + [s for s in summaries if s is not None]


def _save_returns_plot(run_dir: Path) -> None:
    """returns.png for every run, failed ones too; a plotting problem never changes the outcome."""
    from ddpg.analysis.plots import save_returns_plot

    try:
        save_returns_plot(run_dir)
    except Exception as exc:  # inside `finally`: raising would hide the run's own error
        print(f"warning: {run_dir / 'returns.png'} not written: {exc}", file=sys.stderr)
