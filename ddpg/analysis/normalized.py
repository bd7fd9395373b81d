"""Normalized scores across tasks: each run's score on the scale of its env's random and reference.

``normalized = (score - random) / (reference - random)``: 0 is a uniform random policy, 1 the
reference score. Both come from the run's own params.json (``env.random_score``,
``env.reference_score``, which conf/env derives from ddpg/config/env_scores.py), or, for a run
whose params.json predates those keys, from that table by ``env.id``. All runs of one task must
agree on the pair, so each task is normalized by one stated pair.

Scores follow :mod:`ddpg.analysis.scores` per task: counted runs only, and a run without an
eval scores the floor of its own task (the lowest eval return logged on that task), since
returns of different tasks are on different scales.
"""

from __future__ import annotations

import math
import numbers

import pandas as pd

from ddpg.analysis.grouping import group_labels
from ddpg.analysis.runs import CompareError
from ddpg.analysis.scores import COUNTED, floor_score, scores
from ddpg.config.env_scores import random_score, reference_score

RANDOM_KEY = "env.random_score"
REFERENCE_KEY = "env.reference_score"
FROM_PARAMS = "params.json"
FROM_TABLE = "ddpg/config/env_scores.py (params.json predates the keys)"
#: Per-run metrics that can be normalized (a mean return or a return).
PER_RUN_METRICS = ("final_eval_return", "best_eval_return", "auc")
SCALE_COLUMNS = ["task", "env_id", "random_score", "reference_score", "source"]


def _finite(value: object) -> bool:
    return isinstance(value, numbers.Real) and math.isfinite(value)


def run_scale(row: pd.Series) -> tuple[float, float, str]:
    """``(random, reference, source)`` of one run.

    Raises:
        CompareError: Neither its params nor the table give both scores, or they are equal.
    """
    random, reference = row.get(f"param.{RANDOM_KEY}"), row.get(f"param.{REFERENCE_KEY}")
    source = FROM_PARAMS
    if not (_finite(random) and _finite(reference)):
        env_id = str(row.get("param.env.id"))
        random, reference, source = random_score(env_id), reference_score(env_id), FROM_TABLE
        if random is None or reference is None:
            raise CompareError(
                f"{row['run_dir']}/params.json: env {env_id!r} has no {RANDOM_KEY} and "
                f"{REFERENCE_KEY}; set both when training (env.random_score=... "
                "env.reference_score=...) or add the id to ddpg/config/env_scores.py"
            )
    if random == reference:
        raise CompareError(f"{row['run_dir']}/params.json: {REFERENCE_KEY} equals {RANDOM_KEY}")
    return float(random), float(reference), source  # type: ignore[arg-type]


def task_scales(runs: pd.DataFrame, task_key: str) -> pd.DataFrame:
    """Per task (a value of `task_key`): ``task``, ``env_id``, ``random_score``,
    ``reference_score``, ``source``, from its counted runs.

    Raises:
        CompareError: As :func:`run_scale`, or a task's runs disagree on the pair.
    """
    counted = runs[runs["status"].isin(COUNTED)]
    rows = []
    for task, t in counted.groupby(task_key, sort=True):
        pairs = {run_scale(r) for _, r in t.iterrows()}
        if len({p[:2] for p in pairs}) > 1:
            found = ", ".join(f"({p[0]:g}, {p[1]:g})" for p in sorted(pairs))
            raise CompareError(
                f"runs of {task_key}={task} disagree on (random, reference): {found}"
            )
        ((random, reference),) = {p[:2] for p in pairs}
        source = " and ".join(sorted({p[2] for p in pairs}))
        env_ids = ", ".join(sorted(map(str, t["param.env.id"].unique())))
        rows.append(
            {
                "task": task,
                "env_id": env_ids,
                "random_score": random,
                "reference_score": reference,
                "source": source,
            }
        )
    return pd.DataFrame(
        rows, columns=["task", "env_id", "random_score", "reference_score", "source"]
    )


def normalized_scores(
    runs: pd.DataFrame, keys: list[str], task_key: str, metric: str, scales: pd.DataFrame
) -> pd.DataFrame:
    """One row per counted run: ``run_dir``, ``group`` (by `keys`), the keys, ``task``,
    ``score`` (`metric`, the task's floor where missing) and ``normalized``.

    Args:
        runs: Rows from :func:`ddpg.analysis.compare.load_runs` with the key columns.
        keys: The grouping keys (the settings compared across tasks).
        task_key: The key whose values are the tasks.
        metric: One of :data:`PER_RUN_METRICS`.
        scales: :func:`task_scales` of the same runs.
    """
    parts = []
    scale = scales.set_index("task")
    for task, t in runs[runs["status"] != "damaged"].groupby(task_key, sort=True):
        counted = t[t["status"].isin(COUNTED)]
        if counted.empty:
            continue
        score = scores(t, metric, floor_score(t))
        random, reference = scale.loc[task, "random_score"], scale.loc[task, "reference_score"]
        part = counted[["run_dir", *keys]].assign(
            group=group_labels(counted, keys), task=task, score=score.to_numpy(float)
        )
        parts.append(part.assign(normalized=(part["score"] - random) / (reference - random)))
    columns = ["run_dir", "group", *keys, "task", "score", "normalized"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).reindex(columns=columns)
