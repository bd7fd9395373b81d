"""Hand-written run directories for the compare tests (the run-directory contract, no training)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_run(
    run_dir: Path,
    evals: list[tuple[int, float]],
    *,
    seed: int = 0,
    reward_norm: str = "none",
    env_id: str = "Pendulum-v1",
    budget: int = 2000,
    status: str = "completed",
    params: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    rows: list[tuple[int, str, float]] | None = None,
    summary: dict[str, Any] | None = None,
) -> Path:
    """One run: params.json, overrides.yaml, scalars.csv (eval means) and summary.json.

    The final eval return is the last eval, the best the highest; `params` extends or replaces
    params.json's entries, `overrides` replaces the default ``reward_norm=..., seed=...``,
    `rows` (step, key, value) follow the eval means in scalars.csv, and `summary` extends or
    replaces summary.json's entries.
    """
    (run_dir / ".hydra").mkdir(parents=True)
    items = overrides if overrides is not None else [f"reward_norm={reward_norm}", f"seed={seed}"]
    (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in items))
    all_params = {
        "seed": seed,
        "agent.tau": 0.005,
        "reward_norm.name": reward_norm,
        "env.id": env_id,
        "env.solved_score": -200.0,
        "trainer.total_steps": budget,
        "output_dir": str(run_dir),
    } | (params or {})
    (run_dir / "params.json").write_text(json.dumps(all_params))
    lines = ["step,key,value"] + [f"{step},eval/return_mean,{value}" for step, value in evals]
    lines += [f"{step},{key},{value}" for step, key, value in rows or []]
    (run_dir / "scalars.csv").write_text("\n".join(lines) + "\n")
    record = {
        "status": status,
        "seed": seed,
        "env_steps": evals[-1][0] if evals else 0,
        "final_eval_return": evals[-1][1] if evals else None,
        "best_eval_return": max((v for _, v in evals), default=None),
        "wall_time_s": 1.0,
        "steps_per_sec": 100.0,
        "error": None,
    } | (summary or {})
    (run_dir / "summary.json").write_text(json.dumps(record))
    return run_dir
