"""A hand-written population-based training study for the pbt view tests (no training).

Three members, budget 1200: member01 wins (-200.0) and copied member02 at 300 and 900;
member02 (-250.0) never copied; member00 (-300.0) copied member01 at 600. `add_revival`
makes member02 a member revived after a divergence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .rundirs import write_run

BUDGET = 1200


def _params(lr: float, noise: str, tau: float) -> dict[str, Any]:
    return {"learning_rate": lr, "noise": noise, "agent.tau": tau}


#: name: (final eval, schedule [(step, params)], copies [(step, source folder)])
MEMBERS: dict[str, tuple[float, list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]] = {
    "member00": (
        -300.0,
        [(0, _params(1e-3, "ou", 0.01)), (600, _params(1e-4, "gaussian", 0.02))],
        [(600, "member01")],
    ),
    "member01": (
        -200.0,
        [
            (0, _params(2e-4, "none", 0.005)),
            (300, _params(1e-5, "gaussian", 0.004)),
            (900, _params(1.25e-5, "ou", 0.004)),
        ],
        [(300, "member02"), (900, "member02")],
    ),
    "member02": (-250.0, [(0, _params(1e-5, "gaussian", 0.004))], []),
}


def write_study(folder: Path) -> Path:
    """The study above under `folder`: each member a whole run folder plus its PBT records."""
    for k, (name, (final, schedule, copies)) in enumerate(MEMBERS.items()):
        run = write_run(
            folder / name,
            [(400, -1000.0), (800, -600.0), (BUDGET, final)],
            seed=k,
            budget=BUDGET,
            params={"agent.actor_lr": schedule[0][1]["learning_rate"]},
            overrides=[f"agent.actor_lr={schedule[0][1]['learning_rate']}"],
        )
        entries = [{"step": s, "params": p, "overrides": []} for s, p in schedule]
        (run / "schedule.json").write_text(json.dumps({"member": k, "schedule": entries}))
        lineage = [{"step": s, "source": int(src[-2:]), "source_run": src} for s, src in copies]
        (run / "lineage.json").write_text(json.dumps({"member": k, "copies": lineage}))
    return folder


#: The revival `add_revival` writes: member02 diverged at 450 and copied member01 at 600.
DIVERGED_AT, REVIVED_AT = 450, 600
ERROR = "training diverged at env step 450: critic_loss is not finite"


def add_revival(folder: Path) -> Path:
    """The study above with member02 revived: its update went non-finite at step 450, it was
    held and, at the round of step 600, copied member01 (as ddpg.tune.pbt records it); its
    summary counts one divergence, the others' summaries carry no count (older files)."""
    run = folder / "member02"
    revives = {"diverged_at": DIVERGED_AT, "error": ERROR}
    copy = {"step": REVIVED_AT, "source": 1, "source_run": "member01", "revives": revives}
    (run / "lineage.json").write_text(json.dumps({"member": 2, "copies": [copy]}))
    schedule = json.loads((run / "schedule.json").read_text())
    params = MEMBERS["member01"][1][1][1]  # member01's values then (explored: close enough)
    schedule["schedule"].append({"step": REVIVED_AT, "params": params, "overrides": []})
    (run / "schedule.json").write_text(json.dumps(schedule))
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps(summary | {"divergences": 1}))
    return folder
