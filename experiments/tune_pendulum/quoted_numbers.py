"""The numbers experiments/tune_pendulum/README.md quotes: the Optuna study from study/trials.csv
(run at a581c0f, before issue 19's seed streams), the re-check on seeds 100-109 (re-run at a942030)
from compare.csv, auc/compare.csv (compare --metric auc), runs.csv and times.txt, and the
re-check's earlier figures from before_issue19.csv."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

SOLVED = -200.0  # Pendulum-v1's solved score (conf/env/pendulum.yaml), as compare uses it
BEST_TRIAL = 27  # the study's best trial, whose settings the re-check ran (checked in blocks)
NAMES = {"none": f"tuned (trial {BEST_TRIAL})", "gaussian": "defaults"}  # noise.name tells apart
STUDY_COMMIT, RUNS_COMMIT = "a581c0f", "a942030"


def _num(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _ci(low: float, high: float, digits: int = 1) -> str:
    return f"[{_num(low, digits)}, {_num(high, digits)}]"


def _sci(x: float) -> str:
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _groups(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    return frame.set_index(frame["noise.name"].map(NAMES))


def _paired(runs: pd.DataFrame, column: str) -> tuple[float, float, float, int]:
    """Mean tuned - defaults over seeds, its 95% Student t interval, and the seeds where tuned is
    ahead (higher return / AUC; fewer steps for steps_to_solve)."""
    wide = runs.pivot(index="seed", columns="setting", values=column)
    diff = wide[NAMES["none"]] - wide["defaults"]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    ahead = int((diff < 0).sum() if column == "steps_to_solve" else (diff > 0).sum())
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half), ahead


def study_text(trials: pd.DataFrame) -> str:
    complete = trials[trials.state == "COMPLETE"]
    pruned = trials[trials.state == "PRUNED"]
    batches = trials.groupby(trials.number // 16).duration_s.max()
    best = complete.loc[complete.value.idxmax()]
    near = int((complete.value >= best.value - 20).sum())
    return (
        f"{len(trials)} trials, {len(complete)} complete and {len(pruned)} pruned (at "
        + ", ".join(f"{s:,}" for s in sorted(pruned.last_step))
        + " steps). The two batches of 16 trained in "
        + " s and ".join(f"{d:.1f}" for d in batches)
        + f" s (`duration_s`; start-up not included). Best: trial {best.number}, final eval "
        f"{best.value:.1f} on seed 0. {near} of the {len(complete)} complete trials ended within "
        f"20 of it ({best.value - 20:.1f} or better): on one seed the final eval hardly tells "
        "good configurations apart."
    )


def best_text(trials: pd.DataFrame) -> str:
    best = trials.loc[trials[trials.state == "COMPLETE"].value.idxmax()]
    return (
        f"Trial {best.number}: one learning rate {_sci(best.params_learning_rate)} for actor and "
        f"critic (defaults 1e-3), tau {best['params_agent.tau']:.2g} (0.005), gamma "
        f"{1 - best.params_one_minus_gamma:.4f} (0.99), action noise `{best.params_noise}` "
        "(gaussian): exploration comes only from the 1,000 uniform random warm-up steps."
    )


def recheck_table(final: pd.DataFrame, auc: pd.DataFrame) -> str:
    rows = [
        "| setting | runs | final eval, mean [95% CI] | IQM [95% CI] | median | solved final "
        "| AUC, mean [95% CI] | steps to solve (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in NAMES.values():
        f, a = final.loc[name], auc.loc[name]
        rows.append(
            f"| {name} | {f.n_runs} | {_num(f['mean'])} {_ci(f.mean_ci_low, f.mean_ci_high)} "
            f"| {_num(f.iqm)} {_ci(f.iqm_ci_low, f.iqm_ci_high)} | {_num(f['median'])} "
            f"| {round(f.frac_final_solved * f.n_runs)}/{f.n_runs} "
            f"| {_num(a['mean'], 0)} {_ci(a.mean_ci_low, a.mean_ci_high, 0)} "
            f"| {f.steps_to_solve:,.0f} |"
        )
    methods = final.ci_method.iloc[0].split("; ")
    rows += [
        "",
        f"Intervals ({final.ci_level.iloc[0]:.0%}, over the 10 runs): "
        + ", ".join(m.replace(": ", " ") for m in methods[:2])
        + ". AUC: mean eval return over 0-20,000 steps (`compare --metric auc`).",
    ]
    return "\n".join(rows)


def final_text(final: pd.DataFrame, runs: pd.DataFrame) -> str:
    d, low, high, ahead = _paired(runs, "final_eval_return")
    p = final.loc["defaults"]
    wide = runs.pivot(index="seed", columns="setting", values="final_eval_return")
    pairs = ", ".join(
        f"{a:.0f}/{b:.0f}" for a, b in zip(wide[NAMES["none"]], wide["defaults"], strict=True)
    )
    solved = int((runs.final_eval_return >= SOLVED).sum())
    r = float(np.corrcoef(wide[NAMES["none"]], wide["defaults"])[0, 1])
    t = final.loc[NAMES["none"]]
    apart = p.mean_ci_high < t.mean_ci_low or t.mean_ci_high < p.mean_ci_low
    verdict = (
        "no difference resolved" if low <= 0 <= high and not apart else "a resolved difference"
    )
    return (
        f"- **Final return: {verdict}.** {solved} of {len(runs)} runs end solved "
        f"(final eval >= -200). The mean intervals {'are apart' if apart else 'overlap'}; "
        f"p_improve of the defaults against "
        f"the tuned setting {p.p_improve:.2f} [{p.p_improve_ci_low:.2f}, "
        f"{p.p_improve_ci_high:.2f}] (BCa bootstrap). Seed by seed (tuned / defaults: {pairs}) "
        f"the tuned final is higher on {ahead} of 10 seeds, by {d:.1f} on average, "
        f"{_ci(low, high)} (paired Student t over the seeds). The finals track each other seed "
        f"by seed (correlation {r:.2f} over the 10 seeds): both policies end near the optimum, and "
        "a seed fixes the eval episodes' start states for both (the likely reason; not tested)."
    )


def speed_text(auc: pd.DataFrame, runs: pd.DataFrame) -> str:
    first = runs.assign(first=runs.eval_curve.map(lambda c: c[0][1]))
    step = int(runs.eval_curve.iloc[0][0][0])
    firsts = first.groupby("setting")["first"].mean()
    d, low, high, ahead = _paired(runs, "auc")
    sd, slow, shigh, sooner = _paired(runs, "steps_to_solve")
    wide = runs.pivot(index="seed", columns="setting", values="steps_to_solve")
    later = int((wide[NAMES["none"]] > wide["defaults"]).sum())
    steps = runs.groupby("setting").steps_to_solve.agg(["min", "max"])
    t, o = auc.loc[NAMES["none"]], auc.loc["defaults"]
    apart = t.mean_ci_low > o.mean_ci_high or o.mean_ci_low > t.mean_ci_high
    verdict = (
        "the tuned setting is faster, and the intervals show it"
        if apart and low > 0
        else "the tuned setting is faster on average; the intervals do not resolve it"
    )
    tuned, default = steps.loc[NAMES["none"]], steps.loc["defaults"]

    def span(row: pd.Series) -> str:
        if row["min"] == row["max"]:
            return f"{row['min']:,.0f} steps on every seed"
        return f"{row['min']:,.0f}-{row['max']:,.0f} steps"

    return (
        f"- **Learning speed: {verdict}.** AUC {_num(t['mean'], 0)} "
        f"{_ci(t.mean_ci_low, t.mean_ci_high, 0)} against {_num(o['mean'], 0)} "
        f"{_ci(o.mean_ci_low, o.mean_ci_high, 0)} (intervals {'apart' if apart else 'overlap'}); "
        f"seed by seed the tuned AUC is higher on {ahead} of 10, by {d:.0f} {_ci(low, high, 0)} "
        f"(paired Student t). At the first eval ({step:,} steps, 1,000 of them random warm-up) "
        f"the tuned runs are at {firsts['tuned (trial 27)']:,.0f} against "
        f"{firsts['defaults']:,.0f}. The tuned runs first reach -200 at {span(tuned)}, the "
        f"defaults at {span(default)}: {-sd:,.0f} steps sooner on average, "
        f"{_ci(-shigh, -slow, 0)} (paired Student t; evals every 2,000 steps), sooner on "
        f"{sooner} of 10 seeds and later on {later}."
    )


def curse_text(folder: Path, trials: pd.DataFrame, final: pd.DataFrame) -> str:
    best = trials.loc[trials[trials.state == "COMPLETE"].value.idxmax()]
    t = final.loc[NAMES["none"]]
    old = pd.read_csv(folder / "before_issue19.csv").set_index("setting").loc[NAMES["none"]]
    where = "above" if best.value > t.mean_ci_high else "inside"
    return (
        f"- **Winner's curse:** trial {best.number} scored {best.value:.1f} on seed 0 in the "
        f"study (old seeding, {STUDY_COMMIT}); on seeds 100-109 its mean is {t['mean']:.1f} "
        f"{_ci(t.mean_ci_low, t.mean_ci_high)} at {RUNS_COMMIT} ({old['mean']:.1f} with the old "
        f"seeding at {old.runs_commit}), the study's figure {where} the interval. Picking the "
        f"maximum of {len(trials)} noisy single-seed finals overstates it."
    )


def before_after(folder: Path, final: pd.DataFrame, auc: pd.DataFrame, runs: pd.DataFrame) -> str:
    old = pd.read_csv(folder / "before_issue19.csv").set_index("setting")
    first = runs.assign(first=runs.eval_curve.map(lambda c: c[0][1])).groupby("setting")["first"]
    rows = [
        "| setting | seeding, runs at | final eval, mean [95% CI] | p_improve | AUC "
        "| steps to solve | first eval (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in NAMES.values():
        o, f, a = old.loc[name], final.loc[name], auc.loc[name]
        rows.append(
            f"| {name} | old, {o.runs_commit} | {_num(o['mean'])} "
            f"{_ci(o.mean_ci_low, o.mean_ci_high)} (percentile bootstrap) | {o.p_improve:.2f} "
            f"| {_num(o.auc, 0)} | {o.steps_to_solve:,.0f} | {o.first_eval_mean:,.0f} |"
        )
        rows.append(
            f"| {name} | issue 19, {RUNS_COMMIT} | {_num(f['mean'])} "
            f"{_ci(f.mean_ci_low, f.mean_ci_high)} (Student t) | {f.p_improve:.2f} "
            f"| {_num(a['mean'], 0)} | {f.steps_to_solve:,.0f} | {first.mean()[name]:,.0f} |"
        )
    return "\n".join(rows)


def readme_text(final: pd.DataFrame, auc: pd.DataFrame) -> str:
    t, o = final.loc[NAMES["none"]], final.loc["defaults"]
    ta, oa = auc.loc[NAMES["none"]], auc.loc["defaults"]
    solved = int(t.frac_final_solved * t.n_runs + o.frac_final_solved * o.n_runs)
    return (
        f"{_num(t['mean'])} {_ci(t.mean_ci_low, t.mean_ci_high)} against {_num(o['mean'])} "
        f"{_ci(o.mean_ci_low, o.mean_ci_high)} (95% Student t; {solved} of "
        f"{int(t.n_runs + o.n_runs)} runs solve Pendulum), solved at {t.steps_to_solve:,.0f} "
        f"steps on average against {o.steps_to_solve:,.0f}, AUC {_num(ta['mean'], 0)} "
        f"{_ci(ta.mean_ci_low, ta.mean_ci_high, 0)} against {_num(oa['mean'], 0)} "
        f"{_ci(oa.mean_ci_low, oa.mean_ci_high, 0)} (seeds 100-109, re-run at {RUNS_COMMIT})"
    )


def times_text(folder: Path) -> str:
    times = {}
    for line in (folder / "times.txt").read_text().splitlines():
        if not line.startswith("#"):
            part, rest = line.split(": ", 1)
            times[part] = float(rest.split()[0])
    return (
        f"{times['recheck_best']:.0f} s (tuned) and {times['recheck_defaults']:.0f} s (defaults) "
        "of wall time (/usr/bin/time, times.txt; the 2-core machine was shared with other jobs)."
    )


def blocks(folder: Path) -> dict[str, str]:
    trials = pd.read_csv(folder / "study/trials.csv")
    final, auc = _groups(folder / "compare.csv"), _groups(folder / "auc/compare.csv")
    runs = pd.read_csv(
        folder / "runs.csv", dtype={"run": str}, converters={"eval_curve": json.loads}
    )
    runs["setting"] = runs["noise.name"].map(NAMES)
    best = trials.loc[trials[trials.state == "COMPLETE"].value.idxmax()]
    tuned = final.loc[NAMES["none"]]
    if best.number != BEST_TRIAL or not np.allclose(
        [best.params_learning_rate, best["params_agent.tau"], 1 - best.params_one_minus_gamma],
        [tuned["agent.actor_lr"], tuned["agent.tau"], tuned["agent.gamma"]],
        rtol=1e-5,
    ):
        raise ValueError("the re-check's tuned runs are not the study's best trial")
    return {
        "study": study_text(trials),
        "best": best_text(trials),
        "recheck": recheck_table(final, auc),
        "final": final_text(final, runs),
        "speed": speed_text(auc, runs),
        "curse": curse_text(folder, trials, final),
        "before_after": before_after(folder, final, auc, runs),
        "readme_recheck": readme_text(final, auc),
        "times": times_text(folder),
    }
