"""The numbers experiments/tune_pendulum/README.md quotes, from the files committed beside it.

- The study at c3c779f: study/trials.csv (collect.py over its Optuna journal), and the same
  study at 46975ff (before refilled slots) in study_before_refills/trials.csv; study_times.txt
  (/usr/bin/time of the four study runs, idle machine, order A B B A).
- The re-check of its best trial against the defaults on seeds 100-109 (c3c779f): compare.csv,
  auc/compare.csv (`compare --metric auc`), runs.csv, times.txt.
- The earlier study (a581c0f, the seeding before issue 19) and its re-check (a942030) in
  a581c0f/, with the figures before issue 19 in a581c0f/before_issue19.csv.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

SOLVED = -200.0  # Pendulum-v1's solved score (conf/env/pendulum.yaml), as compare uses it
TRIALS_PER_STUDY, MEMBERS, BUDGET = 32, 16, 20_000


@dataclass(frozen=True)
class Recheck:
    """A study's best trial and the defaults, 10 runs each on seeds 100-109 (compare outputs)."""

    folder: Path
    best_trial: int  # checked against the study's trials in `load`
    tuned_noise: str  # noise.name of the tuned runs: it tells the two groups apart
    runs_commit: str

    @property
    def tuned(self) -> str:
        return f"tuned (trial {self.best_trial})"

    @property
    def names(self) -> dict[str, str]:
        return {self.tuned_noise: self.tuned, "gaussian": "defaults"}

    def groups(self, path: str) -> pd.DataFrame:
        frame = pd.read_csv(self.folder / path)
        return frame.set_index(frame["noise.name"].map(self.names))

    def runs(self) -> pd.DataFrame:
        runs = pd.read_csv(
            self.folder / "runs.csv", dtype={"run": str}, converters={"eval_curve": json.loads}
        )
        return runs.assign(setting=runs["noise.name"].map(self.names))


def _num(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _ci(low: float, high: float, digits: int = 1) -> str:
    return f"[{_num(low, digits)}, {_num(high, digits)}]"


def _sci(x: float) -> str:
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _best(trials: pd.DataFrame) -> pd.Series:
    return trials.loc[trials[trials.state == "COMPLETE"].value.idxmax()]


def _paired(r: Recheck, runs: pd.DataFrame, column: str) -> tuple[float, float, float, int]:
    """Mean tuned - defaults over seeds, its 95% Student t interval, and the seeds where tuned is
    ahead (higher return / AUC; fewer steps for steps_to_solve)."""
    wide = runs.pivot(index="seed", columns="setting", values=column)
    diff = wide[r.tuned] - wide["defaults"]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    ahead = int((diff < 0).sum() if column == "steps_to_solve" else (diff > 0).sum())
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half), ahead


def study_text(trials: pd.DataFrame) -> str:
    complete = trials[trials.state == "COMPLETE"]
    pruned = trials[trials.state == "PRUNED"]
    best = _best(trials)
    near = int((complete.value >= best.value - 20).sum())
    return (
        f"{len(trials)} trials, {len(complete)} complete and {len(pruned)} pruned (at "
        + ", ".join(f"{s:,}" for s in sorted(pruned.last_step))
        + f" steps). Best: trial {best.number}, final eval {best.value:.1f} on seed 0. {near} of "
        f"the {len(complete)} complete trials ended within 20 of it ({best.value - 20:.1f} or "
        "better): on one seed the final eval hardly tells good configurations apart."
    )


def best_text(trials: pd.DataFrame) -> str:
    best = _best(trials)
    noise = best.params_noise
    sigma = best.get("params_noise.sigma")
    noise_text = (
        f"action noise `{noise}` with sigma {sigma:.2g} (defaults: gaussian, 0.1)"
        if noise != "none"
        else "action noise `none` (defaults: gaussian): exploration comes only from the 1,000 "
        "uniform random warm-up steps"
    )
    return (
        f"Trial {best.number}: one learning rate {_sci(best.params_learning_rate)} for actor and "
        f"critic (defaults 1e-3), tau {best['params_agent.tau']:.2g} (0.005), gamma "
        f"{1 - best.params_one_minus_gamma:.5g} (0.99), {noise_text}."
    )


def _study_times(folder: Path) -> dict[str, float]:
    walls = {}
    for line in (folder / "study_times.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, rest = line.split(": ", 1)
            walls[name] = float(rest.split()[0])
    return walls


def refills_text(folder: Path, trials: pd.DataFrame) -> str:
    before = pd.read_csv(folder / "study_before_refills/trials.csv")
    columns = [c for c in trials.columns if c not in ("duration_s",)]
    same = trials[columns].equals(before[columns])
    walls = _study_times(folder)
    old = [walls[k] for k in sorted(walls) if k.startswith("tune_before")]
    new = [walls[k] for k in sorted(walls) if k.startswith("tune_main")]
    rate_old, rate_new = (TRIALS_PER_STUDY * 3600 / np.mean(w) for w in (old, new))
    pruned = trials[trials.state == "PRUNED"]
    idle = int((BUDGET - pruned.last_step).sum())
    total = TRIALS_PER_STUDY * BUDGET
    return (
        f"Before refilled slots (46975ff) the study took {' s and '.join(f'{w:.1f}' for w in old)}"
        f" s, after (c3c779f) {' s and '.join(f'{w:.1f}' for w in new)} s (one after the other, "
        f"order before, after, after, before; the idle machine). That is "
        f"{rate_old:.0f} against {rate_new:.0f} trials per hour, x{rate_new / rate_old:.2f}. "
        + (
            "Both trees ran the same study: every trial's state, value, parameters and last "
            "step are equal (study_before_refills/trials.csv). "
            if same
            else "The two trees' trials differ (study_before_refills/trials.csv). "
        )
        + f"The gain is bounded by what the pruned trials left idle before: {len(pruned)} trials "
        f"pruned at {', '.join(f'{s:,}' for s in sorted(pruned.last_step))} steps left "
        f"{idle:,} of the {total:,} member-steps ({idle / total:.1%}) with no trial in their "
        "slot until their population ended."
    )


def rate_text(folder: Path) -> str:
    walls = _study_times(folder)
    new = np.mean([w for k, w in walls.items() if k.startswith("tune_main")])
    old = np.mean([w for k, w in walls.items() if k.startswith("tune_before")])
    return (
        f"{TRIALS_PER_STUDY * 3600 / new:.0f} trials per hour ({new:.0f} s for the study, mean of "
        f"two runs), x{old / new:.2f} the rate before a pruned trial's slot took the next trial "
        "(46975ff, same sitting)."
    )


def recheck_table(r: Recheck, final: pd.DataFrame, auc: pd.DataFrame) -> str:
    rows = [
        "| setting | runs | final eval, mean [95% CI] | IQM [95% CI] | median | solved final "
        "| AUC, mean [95% CI] | steps to solve (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in r.names.values():
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


def final_text(r: Recheck, final: pd.DataFrame, runs: pd.DataFrame) -> str:
    d, low, high, ahead = _paired(r, runs, "final_eval_return")
    t, o = final.loc[r.tuned], final.loc["defaults"]
    best, other = (t, o) if np.isnan(t.p_improve_ci_low) else (o, t)  # compare's best group
    wide = runs.pivot(index="seed", columns="setting", values="final_eval_return")
    pairs = ", ".join(
        f"{a:.0f}/{b:.0f}" for a, b in zip(wide[r.tuned], wide["defaults"], strict=True)
    )
    solved = int((runs.final_eval_return >= SOLVED).sum())
    corr = float(np.corrcoef(wide[r.tuned], wide["defaults"])[0, 1])
    apart = o.mean_ci_high < t.mean_ci_low or t.mean_ci_high < o.mean_ci_low
    verdict = (
        "no difference resolved" if low <= 0 <= high and not apart else "a resolved difference"
    )
    return (
        f"- **Final return: {verdict}.** {solved} of {len(runs)} runs end solved "
        f"(final eval >= -200). The mean intervals {'are apart' if apart else 'overlap'}; "
        f"p_improve of {other.name} against {best.name} {other.p_improve:.2f} "
        f"[{other.p_improve_ci_low:.2f}, {other.p_improve_ci_high:.2f}] (BCa bootstrap). Seed by "
        f"seed (tuned / defaults: {pairs}) the tuned final is higher on {ahead} of 10 seeds; "
        f"tuned - defaults is {d:+.1f} on average, {_ci(low, high)} (paired Student t over the "
        f"seeds). The two settings' finals correlate {corr:.2f} over the 10 seeds."
    )


def speed_text(r: Recheck, auc: pd.DataFrame, runs: pd.DataFrame) -> str:
    first = runs.assign(first=runs.eval_curve.map(lambda c: c[0][1]))
    step = int(runs.eval_curve.iloc[0][0][0])
    firsts = first.groupby("setting")["first"].mean()
    d, low, high, ahead = _paired(r, runs, "auc")
    sd, slow, shigh, sooner = _paired(r, runs, "steps_to_solve")
    wide = runs.pivot(index="seed", columns="setting", values="steps_to_solve")
    later = int((wide[r.tuned] > wide["defaults"]).sum())
    steps = runs.groupby("setting").steps_to_solve.agg(["min", "max"])
    t, o = auc.loc[r.tuned], auc.loc["defaults"]
    apart = t.mean_ci_low > o.mean_ci_high or o.mean_ci_low > t.mean_ci_high
    if apart and low > 0:
        verdict = "the tuned setting is faster, and the intervals show it"
    elif apart and high < 0:
        verdict = "the defaults are faster, and the intervals show it"
    else:
        verdict = "the intervals do not resolve a difference"

    def span(row: pd.Series) -> str:
        if row["min"] == row["max"]:
            return f"{row['min']:,.0f} steps on every seed"
        return f"{row['min']:,.0f}-{row['max']:,.0f} steps"

    return (
        f"- **Learning speed (AUC): {verdict}.** AUC {_num(t['mean'], 0)} "
        f"{_ci(t.mean_ci_low, t.mean_ci_high, 0)} against {_num(o['mean'], 0)} "
        f"{_ci(o.mean_ci_low, o.mean_ci_high, 0)} (intervals {'apart' if apart else 'overlap'}); "
        f"seed by seed the tuned AUC is higher on {ahead} of 10; tuned - defaults {d:+.0f} "
        f"{_ci(low, high, 0)} (paired Student t). At the first eval ({step:,} steps, 1,000 of "
        "them random warm-up) "
        f"the tuned runs are at {firsts[r.tuned]:,.0f} against {firsts['defaults']:,.0f}. The "
        f"tuned runs first reach -200 at {span(steps.loc[r.tuned])}, the defaults at "
        f"{span(steps.loc['defaults'])}; tuned - defaults is {sd:+,.0f} steps on average, "
        f"{_ci(slow, shigh, 0)} (paired Student t; evals every 2,000 steps): the tuned runs "
        f"sooner on {sooner} of 10 seeds, later on {later}."
    )


def curse_text(r: Recheck, trials: pd.DataFrame, final: pd.DataFrame) -> str:
    best = _best(trials)
    t = final.loc[r.tuned]
    where = "above" if best.value > t.mean_ci_high else "inside"
    return (
        f"- **Winner's curse:** trial {best.number} scored {best.value:.1f} on seed 0 in the "
        f"study; on seeds 100-109 its mean is {t['mean']:.1f} {_ci(t.mean_ci_low, t.mean_ci_high)}"
        f", the study's figure {where} the interval. Picking the maximum of {len(trials)} noisy "
        "single-seed finals overstates it."
    )


def before_after(r: Recheck, folder: Path, final: pd.DataFrame, auc: pd.DataFrame) -> str:
    old = pd.read_csv(folder / "before_issue19.csv").set_index("setting")
    runs = r.runs()
    first = runs.assign(first=runs.eval_curve.map(lambda c: c[0][1])).groupby("setting")["first"]
    rows = [
        "| setting | seeding, runs at | final eval, mean [95% CI] | p_improve | AUC "
        "| steps to solve | first eval (mean) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in r.names.values():
        o, f, a = old.loc[name], final.loc[name], auc.loc[name]
        rows.append(
            f"| {name} | old, {o.runs_commit} | {_num(o['mean'])} "
            f"{_ci(o.mean_ci_low, o.mean_ci_high)} (percentile bootstrap) | {o.p_improve:.2f} "
            f"| {_num(o.auc, 0)} | {o.steps_to_solve:,.0f} | {o.first_eval_mean:,.0f} |"
        )
        rows.append(
            f"| {name} | issue 19, {r.runs_commit} | {_num(f['mean'])} "
            f"{_ci(f.mean_ci_low, f.mean_ci_high)} (Student t) | {f.p_improve:.2f} "
            f"| {_num(a['mean'], 0)} | {f.steps_to_solve:,.0f} | {first.mean()[name]:,.0f} |"
        )
    return "\n".join(rows)


def reproduced_text(new: Recheck, old: Recheck) -> str:
    """Whether the defaults' runs at the two commits are the same runs, curve for curve."""
    a, b = (r.runs().query("setting == 'defaults'").set_index("seed") for r in (new, old))
    same = a.index.equals(b.index) and all(
        a.loc[s, "eval_curve"] == b.loc[s, "eval_curve"] for s in a.index
    )
    if not same:
        return (
            f"The defaults' {len(a)} runs at {new.runs_commit} differ from those at "
            f"{old.runs_commit} (runs.csv against a581c0f/runs.csv)."
        )
    return (
        f"The defaults' {len(a)} runs at {new.runs_commit} are the runs of {old.runs_commit}: "
        "every eval of every seed is equal (runs.csv against a581c0f/runs.csv)."
    )


def readme_text(r: Recheck, final: pd.DataFrame, auc: pd.DataFrame) -> str:
    t, o = final.loc[r.tuned], final.loc["defaults"]
    ta, oa = auc.loc[r.tuned], auc.loc["defaults"]
    solved = int(t.frac_final_solved * t.n_runs + o.frac_final_solved * o.n_runs)
    return (
        f"{_num(t['mean'])} {_ci(t.mean_ci_low, t.mean_ci_high)} against {_num(o['mean'])} "
        f"{_ci(o.mean_ci_low, o.mean_ci_high)} (95% Student t; {solved} of "
        f"{int(t.n_runs + o.n_runs)} runs solve Pendulum), solved at {t.steps_to_solve:,.0f} "
        f"steps on average against {o.steps_to_solve:,.0f}, AUC {_num(ta['mean'], 0)} "
        f"{_ci(ta.mean_ci_low, ta.mean_ci_high, 0)} against {_num(oa['mean'], 0)} "
        f"{_ci(oa.mean_ci_low, oa.mean_ci_high, 0)} (seeds 100-109, at {r.runs_commit})"
    )


def times_text(folder: Path) -> str:
    times = {}
    for line in (folder / "times.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            part, rest = line.split(": ", 1)
            times[part] = float(rest.split()[0])
    return (
        f"{times['recheck_best']:.0f} s (tuned) and {times['recheck_defaults']:.0f} s (defaults) "
        "of wall time (/usr/bin/time, times.txt; the idle machine)."
    )


def _checked(r: Recheck, trials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The re-check's final and AUC groups, after checking its tuned runs are the best trial's."""
    final, auc = r.groups("compare.csv"), r.groups("auc/compare.csv")
    best, tuned = _best(trials), final.loc[r.tuned]
    if best.number != r.best_trial or not np.allclose(
        [best.params_learning_rate, best["params_agent.tau"], 1 - best.params_one_minus_gamma],
        [tuned["agent.actor_lr"], tuned["agent.tau"], tuned["agent.gamma"]],
        rtol=1e-5,
    ):
        raise ValueError(f"{r.folder}: the re-check's tuned runs are not the study's best trial")
    return final, auc


def blocks(folder: Path) -> dict[str, str]:
    new = Recheck(folder, best_trial=8, tuned_noise="ou", runs_commit="c3c779f")
    old = Recheck(folder / "a581c0f", best_trial=27, tuned_noise="none", runs_commit="a942030")
    trials = pd.read_csv(folder / "study/trials.csv")
    old_trials = pd.read_csv(old.folder / "study/trials.csv")
    final, auc = _checked(new, trials)
    old_final, old_auc = _checked(old, old_trials)
    runs = new.runs()
    return {
        "study": study_text(trials),
        "best": best_text(trials),
        "refills": refills_text(folder, trials),
        "readme_rate": rate_text(folder),
        "recheck": recheck_table(new, final, auc),
        "final": final_text(new, final, runs),
        "speed": speed_text(new, auc, runs),
        "curse": curse_text(new, trials, final),
        "readme_recheck": readme_text(new, final, auc),
        "times": times_text(folder),
        "reproduced": reproduced_text(new, old),
        "old_study": study_text(old_trials),
        "old_recheck": recheck_table(old, old_final, old_auc),
        "old_curse": curse_text(old, old_trials, old_final),
        "before_after": before_after(old, old.folder, old_final, old_auc),
    }
