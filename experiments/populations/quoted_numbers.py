"""The numbers experiments/populations/README.md quotes, from the files committed beside it:
<env>_population/ and <env>_separate/ (compare's runs.csv and compare.csv of the runs at commit
a942030), before_issue19.csv (the figures this README gave before issue 19's seed streams),
times.txt and bench.txt (`make bench` and loop_breakdown.py output)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from scipy import stats

ENVS = {  # folder prefix: (env id, solved score, members that must reach it, times.txt parts)
    "pendulum": ("Pendulum-v1", -200.0, 10, ("population_pendulum", "pendulum")),
    "mountaincar": ("MountainCarContinuous-v0", 90.0, 5, ("population_mountaincar", "mountaincar")),
}
STUCK = -99.0  # MountainCar: full throttle for a whole episode that never reaches the goal
TRAINED_AS = {"population": "population member", "separate": "separate run"}
BEFORE = {  # before_issue19.csv's setting: (env, how trained)
    "population_pendulum": ("pendulum", "population"),
    "separate_pendulum": ("pendulum", "separate"),
    "population_mountaincar": ("mountaincar", "population"),
}


def read_runs(folder: Path, env: str, kind: str) -> pd.DataFrame:
    runs = pd.read_csv(
        folder / f"{env}_{kind}" / "runs.csv",
        dtype={"run": str},
        converters={"eval_curve": json.loads},
    )
    return runs.sort_values("seed").reset_index(drop=True)


def summary(folder: Path, env: str, kind: str) -> pd.Series:
    (row,) = pd.read_csv(folder / f"{env}_{kind}" / "compare.csv").to_dict("records")
    return pd.Series(row)


def steps(value: float) -> str:
    return "-" if pd.isna(value) else f"{int(value):,}"


def span(values: pd.Series) -> str:
    low, high = int(values.min()), int(values.max())
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def interval(row: pd.Series, stat: str, low: str, high: str) -> str:
    return f"{row[stat]:.1f} [{row[low]:.1f}, {row[high]:.1f}]"


def seed_list(seeds: pd.Series) -> str:
    values = sorted(int(s) for s in seeds)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ", ".join(map(str, values))


def runs_table(folder: Path, env: str) -> str:
    rows = [
        "| seed | trained as | status | env steps | final eval | best eval | steps to solve |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    both = pd.concat(
        [read_runs(folder, env, kind).assign(kind=kind) for kind in TRAINED_AS], ignore_index=True
    )
    for r in both.sort_values(["seed", "kind"]).itertuples():
        rows.append(
            f"| {r.seed} | {TRAINED_AS[r.kind]} | {r.status} | {r.env_steps:,} "
            f"| {r.final_eval_return:.1f} | {r.best_eval_return:.1f} | {steps(r.steps_to_solve)} |"
        )
    return "\n".join(rows)


def targets(folder: Path) -> str:
    lines = []
    for env, (env_id, solved, wanted, _) in ENVS.items():
        members = read_runs(folder, env, "population")
        separate = read_runs(folder, env, "separate")
        reached = members["final_eval_return"] >= solved
        met = "met" if reached.sum() == wanted == len(members) else "**not met**"
        line = (
            f"- **{env_id}, `population.size={len(members)}`: {int(reached.sum())}/{len(members)} "
            f"members end at or above {solved:.0f}** (target {wanted}/{wanted}: {met}); the "
            f"{len(separate)} separate runs with the same seeds: "
            f"{int((separate['final_eval_return'] >= solved).sum())}/{len(separate)}."
        )
        for member in members[~reached].itertuples():
            alone = separate.set_index("seed").loc[member.seed]
            stuck = pd.DataFrame(member.eval_curve, columns=["step", "value"])
            stuck = stuck[stuck["value"] <= STUCK]
            line += (
                f"\n  Member seed {member.seed} ends at {member.final_eval_return:.1f}: "
                f"{len(stuck)} of its {len(member.eval_curve)} evaluations (steps "
                f"{span(stuck['step'])}) return {stuck['value'].max():.1f} or less; it first "
                f"reaches "
                f"{solved:.0f} at {steps(member.steps_to_solve)} steps (best "
                f"{member.best_eval_return:.1f}) and falls back by the budget's end. The separate "
                f"run with seed {member.seed} solves at {steps(alone['steps_to_solve'])} steps and "
                f"ends at {alone['final_eval_return']:.1f}."
            )
        lines.append(line)
    return "\n".join(lines)


def comparison(folder: Path) -> str:
    rows = [
        "| env | trained as | runs | mean final eval [95% CI] | IQM [95% CI] "
        "| final eval >= solved | mean steps to solve | AUC |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    differences = []
    for env, (env_id, solved, *_) in ENVS.items():
        finals = {}
        for kind, name in TRAINED_AS.items():
            s = summary(folder, env, kind)
            runs = read_runs(folder, env, kind)
            finals[kind] = runs["final_eval_return"]
            n = int(s["n_runs"])
            rows.append(
                f"| {env_id} | {name}s | {n} "
                f"| {interval(s, 'mean', 'mean_ci_low', 'mean_ci_high')} "
                f"| {interval(s, 'iqm', 'iqm_ci_low', 'iqm_ci_high')} "
                f"| {int((runs['final_eval_return'] >= solved).sum())}/{n} "
                f"| {steps(s['steps_to_solve'])} | {s['auc']:.1f} |"
            )
        welch = stats.ttest_ind(finals["population"], finals["separate"], equal_var=False)
        ci = welch.confidence_interval(0.95)
        difference = finals["population"].mean() - finals["separate"].mean()
        members = read_runs(folder, env, "population")
        separate = read_runs(folder, env, "separate")
        first = [
            abs(m[0][1] - s[0][1])
            for m, s in zip(members.eval_curve, separate.eval_curve, strict=True)
        ]
        differences.append(
            f"- {env_id}: members minus separate runs, mean final eval {difference:+.1f}, "
            f"95% CI [{ci.low:.1f}, {ci.high:.1f}] (Welch t, p = {welch.pvalue:.2f}). At the "
            f"first evaluation ({members.eval_curve[0][0][0]:,} steps) "
            f"{sum(d > 0 for d in first)}/{len(first)} seeds already differ between member and "
            f"separate run (by up to {max(first):.1f})."
        )
    return "\n".join(rows) + "\n\n" + "\n".join(differences)


def cpu_time(folder: Path) -> str:
    measured = {}
    for line in (folder / "times.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            part, rest = line.split(": ", 1)
            wall, user = (float(field.split()[0]) for field in rest.split(", "))
            measured[part] = (wall, user)
    lines = []
    for env, (env_id, _, members, (population, separate)) in ENVS.items():
        budget = int(read_runs(folder, env, "population")["budget"].iloc[0])
        (pw, pu), (sw, su) = measured[population], measured[separate]
        lines.append(
            f"- {env_id}, {members} x {budget:,} steps: the population used {pu:.0f} s of CPU "
            f"({pw:.0f} s wall), the {members} separate runs {su:.0f} s of CPU ({sw:.0f} s wall, "
            f"two at a time): {su / pu:.1f}x the CPU."
        )
    return "\n".join(lines)


def before_after(folder: Path) -> str:
    before = pd.read_csv(folder / "before_issue19.csv", dtype={"runs_at": str})
    rows = [
        "| setting | runs at commit | seeds | final eval per seed | final eval >= solved "
        "| mean final eval [95% CI] |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for setting, (env, kind) in BEFORE.items():
        env_id, solved = ENVS[env][:2]
        old = before[before["setting"] == setting]
        seeds = old[old["statistic"] == "final_eval"]
        mean = old[old["statistic"] == "mean"]
        if mean.empty:
            old_mean = f"{seeds['value'].mean():.1f} (mean of the quoted values; no CI quoted)"
        elif pd.isna(mean.iloc[0]["ci_low"]):
            old_mean = f"{mean.iloc[0]['value']:.1f} (no CI quoted)"
        else:
            m = mean.iloc[0]
            old_mean = (
                f"{m['value']:.1f} [{m['ci_low']:.1f}, {m['ci_high']:.1f}] ({m['ci_method']})"
            )
        (commit,) = set(seeds["runs_at"])
        name = f"{env_id}, {TRAINED_AS[kind]}s"
        rows.append(
            f"| {name}, before | {commit} | {seed_list(seeds['seed'])} "
            f"| {', '.join(f'{v:.1f}' for v in seeds['value'])} "
            f"| {int((seeds['value'] >= solved).sum())}/{len(seeds)} | {old_mean} |"
        )
        runs = read_runs(folder, env, kind)
        s = summary(folder, env, kind)
        rows.append(
            f"| {name}, after | a942030 | {seed_list(runs['seed'])} "
            f"| {', '.join(f'{v:.1f}' for v in runs['final_eval_return'])} "
            f"| {int((runs['final_eval_return'] >= solved).sum())}/{len(runs)} "
            f"| {interval(s, 'mean', 'mean_ci_low', 'mean_ci_high')} (Student t) |"
        )
    return "\n".join(rows)


_POPULATION = re.compile(
    r"K=(\d+)\s+(\d+) steps/s\s+x([\d.]+)\s+ceiling\s+(\d+).*?(\d+)% \(bare\s+(\d+)%\)"
    r"\s+peak RSS\s+(\d+) MB"
)
_HALF = re.compile(r"the 4 left\s+(\d+) steps/s \(all 8 running:\s+(\d+); per member x([\d.]+)\)")


def bench(folder: Path) -> dict[str, str]:
    """bench.txt's population table, its half-stopped case, and the one-line summary the project
    README quotes."""
    text = (folder / "bench.txt").read_text()
    source = text.splitlines()[0].lstrip("# ")
    rows = [
        "| K | env steps/s, all members | x K=1 | % of the call's ceiling | % the barest loop "
        "reaches | peak RSS (MB) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    ratios = {}
    for k, rate, ratio, _ceiling, share, bare, rss in _POPULATION.findall(text):
        rows.append(f"| {k} | {int(rate):,} | {ratio} | {share} | {bare} | {rss} |")
        ratios[int(k)] = ratio
    left, everyone, per_member = _HALF.search(text).groups()
    half = (
        f"K = 8 with members 4-7 stopped early: the 4 left train {int(left):,} env steps/s "
        f"against {int(everyone):,} for all 8 running, x{per_member} per member"
    )
    readme = (
        f"In one sitting (`experiments/populations/bench.txt`, rough: see its first line), "
        f"K = 8 trained x{ratios[8]} the env steps/s of K = 1, K = 16 x{ratios[16]} and "
        f"K = 32 x{ratios[32]}. A member that has ended no longer computes: at {half}."
    )
    return {
        "bench_source": source,
        "bench": "\n".join(rows),
        "readme_speed": readme,
    }


def blocks(folder: Path) -> dict[str, str]:
    return {
        "targets": targets(folder),
        "runs_pendulum": runs_table(folder, "pendulum"),
        "runs_mountaincar": runs_table(folder, "mountaincar"),
        "comparison": comparison(folder),
        "cpu_time": cpu_time(folder),
        "before_after": before_after(folder),
    } | bench(folder)
