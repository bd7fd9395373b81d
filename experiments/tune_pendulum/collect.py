"""Write a `ddpg.tune` study's trials as one CSV row each, from its Optuna journal.

    python experiments/tune_pendulum/collect.py TUNE_DIR OUT.csv

Columns: number, state, value (final eval), params_<name> (the search space's values), duration_s
(Optuna's start to end of the trial: a trial trains inside a population, so this includes the
time it waited for the members beside it) and last_step (the env step of its last report: where
a pruned trial stopped).
"""

from __future__ import annotations

import sys
from pathlib import Path

import optuna
import pandas as pd
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend


def trials_frame(tune_dir: Path) -> pd.DataFrame:
    storage = JournalStorage(JournalFileBackend(str(tune_dir / "journal.log")))
    (name,) = optuna.get_all_study_names(storage)
    study = optuna.load_study(study_name=name, storage=storage)
    rows = []
    for trial in study.get_trials(deepcopy=False):
        duration = trial.duration.total_seconds() if trial.duration is not None else None
        rows.append(
            {"number": trial.number, "state": trial.state.name, "value": trial.value}
            | {f"params_{key}": value for key, value in sorted(trial.params.items())}
            | {"duration_s": duration, "last_step": trial.last_step}
        )
    frame = pd.DataFrame(rows).sort_values("number")
    params = sorted(c for c in frame.columns if c.startswith("params_"))
    return frame[["number", "state", "value", *params, "duration_s", "last_step"]]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    tune_dir, out = Path(argv[0]), Path(argv[1])
    if not (tune_dir / "journal.log").is_file():
        print(
            f"collect.py: {tune_dir} holds no journal.log (not a ddpg.tune study)", file=sys.stderr
        )
        return 2
    frame = trials_frame(tune_dir)
    tmp = out.with_suffix(".tmp")
    frame.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(out)
    print(f"wrote {out} ({len(frame)} trials)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
