"""The numbers experiments/lr_tau_reward_norm/README.md quotes, from the committed compare outputs
of the re-run at a942030 (compare.csv and runs.csv: joblib launcher; population_launcher/: the same
36 jobs as populations), times.txt (/usr/bin/time of both sweeps), and before_issue19.csv /
before_issue19_times.csv (the figures of the earlier runs, each row naming its source commit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SOLVED = -200.0  # Pendulum-v1's solved score (conf/env/pendulum.yaml), as compare uses it
KEYS = ["actor_lr", "tau", "reward_norm"]
RENAME = {"agent.actor_lr": "actor_lr", "agent.tau": "tau", "reward_norm.name": "reward_norm"}
RUNS_COMMIT = "a942030"


def _num(x: float) -> str:
    return f"{x:,.0f}"


def _ci(low: float, high: float) -> str:
    return f"[{_num(low)}, {_num(high)}]"


def _lr(x: float) -> str:
    return f"{x:.0e}".replace("e-0", "e-")


def _cells(path: Path) -> pd.DataFrame:
    """compare.csv indexed by (actor_lr, tau, reward_norm)."""
    return pd.read_csv(path).rename(columns=RENAME).set_index(KEYS)


def _runs(path: Path) -> pd.DataFrame:
    runs = pd.read_csv(path, dtype={"run": str}, converters={"eval_curve": json.loads})
    return runs.rename(columns=RENAME).set_index("run")


def _disjoint(a: pd.Series, b: pd.Series) -> bool:
    """The two groups' mean intervals do not overlap."""
    return bool(a.mean_ci_high < b.mean_ci_low or b.mean_ci_high < a.mean_ci_low)


def _solved(row: pd.Series) -> str:
    n = int(row.n_runs)
    return f"{round(row.frac_final_solved * n)}/{n} / {round(row.frac_ever_solved * n)}/{n}"


def result_table(cells: pd.DataFrame) -> str:
    rows = [
        "| actor_lr | tau | reward_norm | final eval return, mean [95% CI] | median "
        "| solved final / ever | AUC |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (lr, tau, norm), row in cells.sort_values("mean", ascending=False).iterrows():
        rows.append(
            f"| {_lr(lr)} | {tau} | {norm} | {_num(row['mean'])} "
            f"{_ci(row.mean_ci_low, row.mean_ci_high)} | {_num(row['median'])} "
            f"| {_solved(row)} | {_num(row.auc)} |"
        )
    method = cells.ci_method.iloc[0].split(";")[0].replace("mean: ", "")
    rows.append("")
    rows.append(
        f"Intervals: {method} ({cells.ci_level.iloc[0]:.0%}, over the {int(cells.n_runs.min())} "
        f"runs of a cell; at 3 runs that is the mean +- {_t_factor(3):.2f} standard errors). "
        f"AUC: mean eval return over the budget."
    )
    return "\n".join(rows)


def _t_factor(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, n - 1))


def tau_text(cells: pd.DataFrame, runs: pd.DataFrame) -> str:
    lines = []
    separated = 0
    for norm in ("none", "running", "episode_return"):
        parts = []
        for lr in (1e-4, 1e-3):
            fast, slow = cells.loc[(lr, 0.005, norm)], cells.loc[(lr, 0.001, norm)]
            apart = _disjoint(fast, slow)
            separated += apart and fast["mean"] > slow["mean"]
            parts.append(
                f"actor lr {_lr(lr)}: {_num(fast['mean'])} "
                f"{_ci(fast.mean_ci_low, fast.mean_ci_high)} against {_num(slow['mean'])} "
                f"{_ci(slow.mean_ci_low, slow.mean_ci_high)}, "
                + ("intervals apart" if apart else "intervals overlap")
            )
        lines.append(f"  - `{norm}`: " + "; ".join(parts) + ".")
    slow_runs = runs[runs.tau == 0.001]
    ever = int((slow_runs.best_eval_return >= SOLVED).sum())
    head = (
        f"- **tau = 0.005 is ahead of tau = 0.001, intervals apart, in {separated} of the 6 "
        f"(reward_norm, actor_lr) pairs; in the other {6 - separated} they overlap.** Final eval "
        "return, tau 0.005 against 0.001:"
    )
    tail = (
        f"  With tau = 0.001, {ever} of {len(slow_runs)} runs reach -200 at any evaluation "
        f"within 10,000 steps."
    )
    return "\n".join([head, *lines, tail])


def running_text(cells: pd.DataFrame) -> str:
    parts = []
    for lr in (1e-4, 1e-3):
        run, raw = cells.loc[(lr, 0.005, "running")], cells.loc[(lr, 0.005, "none")]
        parts.append(
            f"actor lr {_lr(lr)}: `running` {_num(run['mean'])} "
            f"{_ci(run.mean_ci_low, run.mean_ci_high)} (median {_num(run['median'])}, "
            f"{_solved(run)} solved final / ever) against `none` {_num(raw['mean'])} "
            f"{_ci(raw.mean_ci_low, raw.mean_ci_high)} (median {_num(raw['median'])}, "
            f"{_solved(raw)}), "
            + ("intervals apart" if _disjoint(run, raw) else "intervals overlap")
        )
    best = cells.sort_values("mean", ascending=False).index[0]
    p = cells.loc[(1e-3, 0.005, "running")]
    return (
        "- **Running reward normalization against the raw reward, at tau = 0.005: not "
        "resolved.**\n  "
        + ";\n  ".join(parts)
        + f".\n  p_improve of `running` (actor lr 1e-3) against the best cell "
        f"({_lr(best[0])}, {best[1]}, {best[2]}): {p.p_improve:.2f} "
        f"[{p.p_improve_ci_low:.2f}, {p.p_improve_ci_high:.2f}] (BCa bootstrap). The medians "
        "have no interval and are not evidence either way."
    )


def episode_text(cells: pd.DataFrame, runs: pd.DataFrame) -> str:
    ep = runs[runs.reward_norm == "episode_return"]
    means = cells.xs("episode_return", level="reward_norm")["mean"]
    return (
        f"- **`episode_return` solves nothing:** {int((ep.best_eval_return >= SOLVED).sum())} of "
        f"{len(ep)} runs reach -200 at any evaluation; its four cells' means lie between "
        f"{_num(means.min())} and {_num(means.max())}, at either tau."
    )


def actor_lr_text(cells: pd.DataFrame) -> str:
    pairs = [(t, n) for t in (0.001, 0.005) for n in ("none", "running", "episode_return")]
    overlap = sum(not _disjoint(cells.loc[(1e-4, t, n)], cells.loc[(1e-3, t, n)]) for t, n in pairs)
    return (
        f"- **The actor learning rate (1e-4 against 1e-3) is not resolved in {overlap} of the "
        f"{len(pairs)} (tau, reward_norm) pairs** (intervals overlap); three seeds separate "
        "large effects only."
    )


def launcher_stats(joblib: pd.DataFrame, population: pd.DataFrame) -> dict[str, float]:
    population = population.loc[joblib.index]
    final = joblib.final_eval_return - population.final_eval_return

    def at(frame: pd.DataFrame, k: int) -> pd.Series:
        return frame.eval_curve.map(lambda curve: curve[k][1])

    first = at(joblib, 0) - at(population, 0)
    same_solved = (joblib.final_eval_return >= SOLVED) == (population.final_eval_return >= SOLVED)
    # seed-to-seed spread: |difference| between two seeds of one cell, same launcher
    spread = []
    for frame in (joblib, population):
        for _, cell in frame.groupby(KEYS):
            values = cell.final_eval_return.to_numpy()
            spread += [abs(a - b) for i, a in enumerate(values) for b in values[i + 1 :]]
    return {
        "jobs": len(joblib),
        "identical_final": int((final == 0).sum()),
        "identical_first": int((first == 0).sum()),
        "first_step": joblib.eval_curve.iloc[0][0][0],
        "first_max": float(first.abs().max()),
        "median_abs": float(final.abs().median()),
        "max_abs": float(final.abs().max()),
        "same_solved": int(same_solved.sum()),
        "seed_spread": float(np.median(spread)),
    }


def launcher_text(s: dict[str, float]) -> str:
    return (
        f"- **Per job, the two launchers do not give the same run.** {s['identical_final']} of "
        f"{s['jobs']} final returns are bit-identical. At the first evaluation (step "
        f"{s['first_step']:,}) a job's two runs agree to {s['first_max']:.1e} or better "
        f"({s['identical_first']} bit-identical), then drift apart: at the final evaluation the "
        f"median |difference| is {s['median_abs']:.1f}, the largest {_num(s['max_abs'])}, "
        f"against a median of {_num(s['seed_spread'])} between two seeds of one cell. "
        f"{s['same_solved']} of {s['jobs']} jobs end on the same side of -200 under both."
    )


def launcher_table(joblib: pd.DataFrame, population: pd.DataFrame) -> str:
    rows = [
        "| actor_lr | tau | reward_norm | joblib: mean [95% CI] | solved final | populations: "
        "mean [95% CI] | solved final | intervals |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    apart = 0
    for key, a in joblib.sort_values("mean", ascending=False).iterrows():
        b = population.loc[key]
        apart += _disjoint(a, b)
        n = int(a.n_runs)
        rows.append(
            f"| {_lr(key[0])} | {key[1]} | {key[2]} | {_num(a['mean'])} "
            f"{_ci(a.mean_ci_low, a.mean_ci_high)} | {round(a.frac_final_solved * n)}/{n} "
            f"| {_num(b['mean'])} {_ci(b.mean_ci_low, b.mean_ci_high)} "
            f"| {round(b.frac_final_solved * n)}/{n} | "
            + ("apart" if _disjoint(a, b) else "overlap")
            + " |"
        )
    rows += ["", f"The two launchers' mean intervals are apart in {apart} of {len(joblib)} cells."]
    return "\n".join(rows)


def moved_text(jc: pd.DataFrame, pc: pd.DataFrame, jr: pd.DataFrame, pr: pd.DataFrame) -> str:
    change = (jc["mean"] - pc["mean"]).abs()
    key = change.idxmax()
    sel = (jr.actor_lr == key[0]) & (jr.tau == key[1]) & (jr.reward_norm == key[2])
    runs = jr[sel].sort_values("seed")
    other = pr.loc[runs.index]
    pairs = ", ".join(
        f"seed {s}: {_num(a)} / {_num(b)}"
        for s, a, b in zip(runs.seed, runs.final_eval_return, other.final_eval_return, strict=True)
    )
    overlap = not (
        runs.final_eval_return.max() < other.final_eval_return.min()
        or other.final_eval_return.max() < runs.final_eval_return.min()
    )
    crossed = int(((runs.final_eval_return >= SOLVED) != (other.final_eval_return >= SOLVED)).sum())
    apart = _disjoint(jc.loc[key], pc.loc[key])
    verdict = (
        "a difference the intervals resolve"
        if apart
        else "not a difference between the launchers that three seeds can show"
    )
    return (
        f"The cell whose mean moves most between launchers is actor lr {_lr(key[0])}, tau "
        f"{key[1]}, `{key[2]}` ({_num(jc.loc[key, 'mean'])} against {_num(pc.loc[key, 'mean'])}); "
        f"per seed, joblib / populations: {pairs}. {crossed} of {len(runs)} runs end on different "
        f"sides of -200; the two sets of runs' ranges {'overlap' if overlap else 'do not overlap'}"
        f" and the intervals {'are apart' if apart else 'overlap'}: {verdict}."
    )


def _tau_apart(cells: pd.DataFrame) -> int:
    """(reward_norm, actor_lr) pairs where tau = 0.005 is ahead of 0.001 with intervals apart."""
    return sum(
        _disjoint(cells.loc[(lr, 0.005, n)], cells.loc[(lr, 0.001, n)])
        and cells.loc[(lr, 0.005, n), "mean"] > cells.loc[(lr, 0.001, n), "mean"]
        for lr in (1e-4, 1e-3)
        for n in ("none", "running", "episode_return")
    )


def agreement_text(jc: pd.DataFrame, pc: pd.DataFrame, jr: pd.DataFrame, pr: pd.DataFrame) -> str:
    def ever(runs: pd.DataFrame, mask: pd.Series) -> str:
        return f"{int((runs[mask].best_eval_return >= SOLVED).sum())}/{int(mask.sum())}"

    def final(runs: pd.DataFrame, lr: float, norm: str) -> str:
        sel = runs[(runs.actor_lr == lr) & (runs.tau == 0.005) & (runs.reward_norm == norm)]
        return f"{int((sel.final_eval_return >= SOLVED).sum())}/{len(sel)}"

    rows = [
        "| conclusion | joblib | populations |",
        "| --- | --- | --- |",
        f"| pairs where tau = 0.005 is ahead, intervals apart (of 6) | {_tau_apart(jc)} "
        f"| {_tau_apart(pc)} |",
        f"| runs with tau = 0.001 ever solved | {ever(jr, jr.tau == 0.001)} "
        f"| {ever(pr, pr.tau == 0.001)} |",
        f"| `episode_return` runs ever solved | {ever(jr, jr.reward_norm == 'episode_return')} "
        f"| {ever(pr, pr.reward_norm == 'episode_return')} |",
    ]
    for norm in ("none", "running"):
        for lr in (1e-4, 1e-3):
            rows.append(
                f"| tau 0.005, `{norm}`, actor lr {_lr(lr)}: runs ending solved "
                f"| {final(jr, lr, norm)} | {final(pr, lr, norm)} |"
            )
    return "\n".join(rows)


def _times(folder: Path) -> dict[str, tuple[float, float]]:
    times = {}
    for line in (folder / "times.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        part, rest = line.split(": ", 1)
        wall, user = (float(x.split()[0]) for x in rest.split(", "))
        times[part] = (wall, user)
    return times


def speed_text(folder: Path) -> str:
    times = _times(folder)
    (jw, ju), (pw, pu) = times["study_joblib"], times["study_population"]
    return (
        f"the 36-job sweep took {pw:.0f} s as two populations against {jw:.0f} s as 36 "
        f"processes ({jw / pw:.1f}x shorter; user CPU {pu:.0f} s against {ju:.0f} s), at commit "
        f"{RUNS_COMMIT}, one after the other on the 2-core machine while it was shared with "
        "other jobs"
    )


def speed_table(folder: Path) -> str:
    times = _times(folder)
    old = pd.read_csv(folder / "before_issue19_times.csv").set_index("launcher")
    rows = [
        "| launcher | processes | wall / user CPU at a581c0f (idle machine) "
        f"| wall / user CPU at {RUNS_COMMIT} (shared machine) |",
        "| --- | --- | --- | --- |",
    ]
    for name, label, part in (
        ("joblib", "joblib, 2 jobs at a time", "study_joblib"),
        ("population", "population, 2 workers", "study_population"),
    ):
        wall, user = times[part]
        rows.append(
            f"| {label} | {old.processes[name]} | {old.wall_s[name]} s / {old.user_s[name]} s "
            f"| {wall:.1f} s / {user:.1f} s |"
        )
    ratio_old = old.wall_s["joblib"] / old.wall_s["population"]
    ratio = times["study_joblib"][0] / times["study_population"][0]
    rows += ["", f"Wall-time ratio joblib / populations: {ratio_old:.1f}x then, {ratio:.1f}x now."]
    return "\n".join(rows)


def before_after(folder: Path, jc: pd.DataFrame, pc: pd.DataFrame) -> str:
    old = pd.read_csv(folder / "before_issue19.csv")
    columns = [
        (f"{r.launcher} at {r.runs_commit}", g.set_index(KEYS))
        for r, g in (
            (g.iloc[0], g) for _, g in old.groupby(["runs_commit", "launcher"], sort=False)
        )
    ]
    columns += [(f"joblib at {RUNS_COMMIT}", jc), (f"population at {RUNS_COMMIT}", pc)]
    rows = [
        "| actor_lr | tau | reward_norm | " + " | ".join(name for name, _ in columns) + " |",
        "| --- | --- | --- |" + " --- |" * len(columns),
    ]
    for key in jc.sort_values("mean", ascending=False).index:
        cells = []
        for _, frame in columns:
            row = frame.loc[key]
            n = int(row.n_runs)
            cells.append(f"{_num(row['mean'])} ({round(row.frac_final_solved * n)}/{n})")
        rows.append(f"| {_lr(key[0])} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def blocks(folder: Path) -> dict[str, str]:
    jc, pc = _cells(folder / "compare.csv"), _cells(folder / "population_launcher/compare.csv")
    jr, pr = _runs(folder / "runs.csv"), _runs(folder / "population_launcher/runs.csv")
    stats = launcher_stats(jr, pr)
    return {
        "result": result_table(jc),
        "tau": tau_text(jc, jr),
        "running": running_text(jc),
        "episode_return": episode_text(jc, jr),
        "actor_lr": actor_lr_text(jc),
        "launchers": launcher_text(stats),
        "launcher_table": launcher_table(jc, pc),
        "moved": moved_text(jc, pc, jr, pr),
        "agreement": agreement_text(jc, pc, jr, pr),
        "speed": speed_table(folder),
        "readme_speed": speed_text(folder),
        "before_after": before_after(folder, jc, pc),
    }
