"""Hydra entry point of a hyperparameter search: Optuna trials trained as populations.

    python -m ddpg.tune search=ddpg env=pendulum tune.n_trials=64 tune.population=16
    python -m ddpg.tune ... tune.storage=outputs/tune/<study>/journal.log   # continue it
    optuna-dashboard outputs/tune/<study>/journal.log                      # watch it live
    python -m ddpg.compare outputs/tune/<study>                             # every trial is a run

The run config (conf/config.yaml and its groups, with the command line's overrides) fixes what
every trial shares; the search group (conf/search/, ddpg.tune.space) names what each trial
samples: `search=ddpg` the zoo's DDPG space, `search=ddpg_members` the same without batch size
and network, so that every batch of trials trains as one population. Each trial is composed
as `python -m ddpg.run <overrides>` would be and trains into
`<tune.dir>/<params, short> trial<number>/` (ddpg.tune.trial_names) with the whole run
contract, plus trial.json. The study lives in an Optuna journal file (tune.storage) and
snapshots its populations (ddpg.tune.snapshots): rerunning the same command continues a killed
or interrupted study from its newest snapshot, bit-identically to an uninterrupted one (the
journal is cut back to the snapshot's moment, so one process works on a study at a time). The
loop itself is ddpg.tune.study's; what the command prints at the end, ddpg.tune.report's.

A bad setting (an unknown dimension key, an empty range, a storage path that is not writable)
ends with one line naming it and exit code 2; SIGINT or SIGTERM snapshots the study and stops
with exit code 130, printing the command that continues it.
"""

from __future__ import annotations

import math
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import hydra
import optuna
import yaml
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from tqdm import tqdm

import ddpg.algo.tf_startup  # noqa: F401  # notes whether the user set TF_CPP_MIN_LOG_LEVEL
from ddpg.config.schema import ConfigError, RunConfig
from ddpg.config.structured import from_mapping
from ddpg.launch.hydra_errors import one_line_errors
from ddpg.run import to_run_config
from ddpg.tune.pbt import check_pbt, run_pbt
from ddpg.tune.report import pbt_report, study_report
from ddpg.tune.snapshots import (
    StudySnapshots,
    continue_command,
    drop_later_trials,
    latest_snapshot,
    load_sampler_state,
    rewind_journal,
    snapshot_dir,
    snapshot_every,
)
from ddpg.tune.space import SearchSpace, overrides, parse_space
from ddpg.tune.storage import TuneSettings, base_params, open_study
from ddpg.tune.study import run_study
from ddpg.tune.trials import StudyInterrupted

#: Top-level keys of conf/tune.yaml that are not part of a run's config.
TUNE_KEYS = ("tune", "search")


class HydraTrials:
    """Composes trials as `python -m ddpg.run <base overrides> <trial overrides>` would."""

    def __init__(self, task_overrides: list[str]) -> None:
        self.task = list(task_overrides)

    def __call__(self, trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]:
        try:
            cfg = hydra.compose(config_name="tune", overrides=self.task + trial_overrides)
        except (HydraException, OmegaConfBaseException) as error:
            raise ConfigError(str(error).strip().splitlines()[0]) from None
        return run_config(cfg)


def run_config(cfg: DictConfig) -> tuple[RunConfig, dict[str, Any]]:
    """The run part of a composed tune config: validated, and resolved as a plain mapping."""
    run_cfg = OmegaConf.masked_copy(cfg, [str(k) for k in cfg if k not in (*TUNE_KEYS, "hydra")])
    config = to_run_config(run_cfg)
    composed = OmegaConf.to_container(run_cfg, resolve=True)
    assert isinstance(composed, dict)
    return config, {str(k): v for k, v in composed.items()}


def base_overrides(task: list[str]) -> list[str]:
    """The command line's overrides that belong to the runs (not tune.*, search, hydra.*)."""
    keep = []
    for text, parsed in zip(task, OverridesParser.create().parse_overrides(task), strict=True):
        key = parsed.key_or_group
        if not key.startswith(("tune.", "search", "hydra.", "hydra/")) and key != "tune":
            keep.append(text)
    return keep


def check_space(space: SearchSpace, cfg: DictConfig, build: HydraTrials) -> None:
    """Every key a dimension sets exists (a value, or a config group with those options), and
    each end of every range, each choice, composes into a valid run config.

    Raises:
        ConfigError: Naming the dimension and what is wrong.
    """
    loader = GlobalHydra.instance().config_loader()
    groups = set(loader.list_groups("")) - {"hydra", *TUNE_KEYS}
    for d in space.dimensions:
        for key in d.targets():
            if key in groups:
                options = loader.get_group_options(key)
                bad = [c for c in d.choices if c not in options]
                if d.type != "categorical" or bad:
                    raise ConfigError(
                        f"search dimension {d.name!r}: config group {key} takes categorical "
                        f"choices among {', '.join(options)}"
                        + (f"; {bad[0]!r} is none of them" if bad else "")
                    )
                continue
            node = OmegaConf.select(cfg, key, default=_ABSENT, throw_on_missing=False)
            if node is _ABSENT or key.split(".", 1)[0] in (*TUNE_KEYS, "hydra"):
                raise ConfigError(f"search dimension {d.name!r}: unknown config key {key!r}")
            if isinstance(node, DictConfig):
                raise ConfigError(f"search dimension {d.name!r}: {key} is a group of keys")
        parents = {other: allowed[0] for other, allowed in d.when}
        ends = d.choices if d.type == "categorical" else (d.low, d.high)
        for value in ends:
            try:
                build(overrides(space, parents | {d.name: value}))
            except ConfigError as error:
                raise ConfigError(f"search dimension {d.name!r} at {value!r}: {error}") from None


_ABSENT = object()


def main(cfg: DictConfig) -> float:
    """Run (or continue) the study; return the best trial's value (NaN without one)."""
    hydra_cfg = HydraConfig.get()
    storage = str(cfg.tune.get("storage", "the study's journal"))
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our lines say what each trial did
    try:
        if hydra_cfg.mode == RunMode.MULTIRUN:
            raise ConfigError("ddpg.tune runs one study: drop -m/--multirun")
        settings = from_mapping(TuneSettings, _container(cfg.tune), "tune.")
        space = parse_space(_container(cfg.search))
        task = list(hydra_cfg.overrides.task)
        build = HydraTrials(task)
        base, _ = run_config(cfg)
        if base.resume is not None or base.population.size != 1 or base.pbt_schedule:
            raise ConfigError(
                "resume=, population.size and pbt_schedule apply to ddpg.run: a study continues "
                "when its command is run again, and tune.population sets how many trials train "
                "together"
            )
        check_space(space, cfg, build)
        if settings.algorithm == "pbt":
            check_pbt(space, settings, base)
            _record_launch(Path(settings.dir), cfg, task)
            pbt = run_pbt(settings, space, build, base, base_overrides(task), tqdm.write)
            print(pbt_report(pbt, settings), flush=True)
            return max(pbt.latest.values(), default=math.nan)
        found = latest_snapshot(settings.dir)
        if found is not None:  # the journal goes back to the snapshot's moment
            saved = found[1]["study"]
            drop_later_trials(settings.storage, settings.study, saved["optuna"]["trials"])
            rewind_journal(settings.storage, saved["journal"])
        study = open_study(settings, base_params(base, space), base, space)
        if found is not None:
            load_sampler_state(study.sampler, found[1]["study"]["sampler"])
            tqdm.write(f"tune: continuing from {found[0]}")
        _record_launch(Path(settings.dir), cfg, task)
        snapshots = StudySnapshots(
            snapshot_dir(settings.dir),
            snapshot_every(base),
            base.trainer.keep_checkpoints,
            settings.storage,
            found,
        )
        run_study(study, settings, space, build, base_overrides(task), snapshots=snapshots)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except (StudyInterrupted, KeyboardInterrupt):
        where = cfg.tune.get("dir", storage)
        print(
            f"interrupted: study {where} snapshotted; continue with: {continue_command(task)}",
            file=sys.stderr,
        )
        sys.exit(130)
    print(study_report(study, settings, base_overrides(task)), flush=True)
    completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return study.best_value if completed else math.nan


def _container(node: Any) -> dict[str, Any]:
    try:
        data = OmegaConf.to_container(node, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping, got {data!r}")
    return {str(k): v for k, v in data.items()}


def _record_launch(folder: Path, cfg: DictConfig, task: list[str]) -> None:
    """Hydra's record of this launch: <tune.dir>/.hydra/tune_<time>/{config,overrides}.yaml."""
    record = folder / ".hydra" / f"tune_{datetime.now():%Y-%m-%d_%H-%M-%S}"
    record.mkdir(parents=True, exist_ok=True)
    (record / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    (record / "overrides.yaml").write_text(yaml.safe_dump(task))


def cli() -> None:
    """`python -m ddpg.tune`. hydra.main is applied here, not as a decorator: it sets Hydra's
    version base for the whole process as it decorates (see ddpg.run.cli)."""
    with one_line_errors():  # Hydra's own errors (a search typo, a group typo): one line
        hydra.main(config_path="../../conf", config_name="tune", version_base="1.3")(main)()


if __name__ == "__main__":
    cli()
