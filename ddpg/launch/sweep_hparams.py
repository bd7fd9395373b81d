"""The sweep's TensorBoard HParams config: swept keys plus seed, and the final metrics.

Which swept keys it shows is ddpg.analysis.swept's rule (:data:`ddpg.analysis.swept.HPARAMS_ROLES`:
treatments and the seed, never `resume` or `trainer.progress`), named as params.json names them.

:class:`HParamsCallback` (``hydra.callbacks`` in conf/hydra/default.yaml) writes it into each
job's tb/ once the job has ended; the values themselves are each job's own (ddpg.storage.metrics).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.summary.writer.record_writer import RecordWriter

from ddpg.analysis.swept import HPARAMS_ROLES, SEED, option_key, role
from ddpg.config.schema import RunConfig
from ddpg.config.structured import field_type, flatten
from ddpg.launch.job_names import sweep_overrides

#: The `hparams/*` scalars each job logs at its last step (see
# ddpg.storage.metrics.write_final_metrics).
HPARAM_METRICS = {
    "hparams/final_eval_return": "final eval return",
    "hparams/best_eval_return": "best eval return",
    "hparams/steps_to_solve": "steps to solve",
    "hparams/solved": "solved",
}
#: What a metric means, shown when the pointer rests on its name; the names stay short, since
#: the parallel coordinates view writes them side by side above its axes (long ones overlapped).
HPARAM_DESCRIPTIONS = {
    "hparams/final_eval_return": "the last evaluation's mean return",
    "hparams/best_eval_return": "the best evaluation's mean return",
    "hparams/steps_to_solve": "env steps to the first eval at the solved score, else the budget",
    "hparams/solved": "1 if some evaluation reached the env's solved score, else 0",
}


class HParamsCallback(Callback):
    """Writes the sweep's HParams config (swept keys + seed, final metrics) into each job's tb/.

    TensorBoard lists every folder holding an event file as a run, so a config in the sweep root
    showed up as an empty run named "."; its HParams dashboard takes the config from whichever
    run holds one (all copies are the same), so each job that logged to tb/ carries it.
    """

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Called by Hydra in the job's process after each job; single runs need no config."""
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        tb_dir = Path(str(config.hydra.runtime.output_dir)) / "tb"
        if not tb_dir.is_dir():  # rejected before training (or resumed elsewhere): no run here
            return
        try:  # the sweep as launched: its keys and values, written before any job started
            multirun = OmegaConf.load(Path(str(config.hydra.sweep.dir)) / "multirun.yaml")
            assert isinstance(multirun, DictConfig)
            hparams = swept_hparams(multirun)
        except Exception as error:  # an HParams table is not worth failing a job for
            print(f"warning: no HParams config for this sweep: {error}", file=sys.stderr)
            return
        metrics = [
            hp.Metric(tag, display_name=name, description=HPARAM_DESCRIPTIONS[tag])
            for tag, name in HPARAM_METRICS.items()
        ]
        write_summary_event(tb_dir, hp.hparams_config_pb(hparams, metrics))


def swept_hparams(config: DictConfig) -> list[hp.HParam]:
    """The swept keys plus seed as HParams, named and typed as each job logs them.

    `config` is the sweep's multirun.yaml. Of the keys the sweep declares, those in
    ddpg.analysis.swept.HPARAMS_ROLES, as params.json names them (a config group such as
    `reward_norm` becomes `reward_norm.name`, ddpg.analysis.swept.option_key); keys that are not in
    the run config (an experiment preset) are left out, since no job logs them. Domains list the
    swept values (for an unswept seed, its one value), as ddpg.storage.metrics logs them: integers
    as strings.
    """
    container = OmegaConf.to_container(config, resolve=False)
    assert isinstance(container, dict)
    keys = flatten({str(k): v for k, v in container.items() if k != "hydra"})
    swept = {
        option_key(str(key), keys): values
        for key, values in sweep_overrides(config).items()
        if role(str(key)) in HPARAMS_ROLES
    }
    if SEED not in swept:
        swept[SEED] = [OmegaConf.select(config, SEED, default=None)]
    return [
        hp.HParam(key, _domain(values, field_type(RunConfig, key)))
        for key, values in swept.items()
        if key in keys
    ]


def _domain(values: list[Any] | None, declared: Any) -> hp.Discrete | None:
    """A discrete domain of `values` in the type each job logs for the key (ddpg.storage.metrics'
    _hparam_value of the value as declared): bools, floats, else strings (integers included,
    which the HParams table would print as 1.0000)."""
    if not values or any(v is None for v in values):
        return None
    kind = next((t for t in (int, float) if declared in (t, t | None)), None)
    if kind is not None:  # 1 for a float setting is logged as 1.0; a bad value stays as given
        with contextlib.suppress(TypeError, ValueError):
            values = [kind(v) for v in values]
    if all(isinstance(v, bool) for v in values):
        return hp.Discrete(values)
    if all(isinstance(v, float) and math.isfinite(v) for v in values):
        return hp.Discrete(values)
    return hp.Discrete([str(v) for v in values])


def write_summary_event(log_dir: Path, summary: Any) -> Path:
    """Write one event file holding `summary` at step 0 in TensorBoard's record format (no TF)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    path = log_dir / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.hparams"
    with open(path, "wb") as f:
        records = RecordWriter(f)
        records.write(
            event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString()
        )
        records.write(event_pb2.Event(wall_time=now, step=0, summary=summary).SerializeToString())
    return path
