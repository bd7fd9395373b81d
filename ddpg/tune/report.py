"""What `python -m ddpg.tune` prints once a study ends (ddpg.tune.__main__): the trials' states,
the best trial as a ready `python -m ddpg.run` command and the parameter importances, or a
population-based training study's members ranked; then the commands to look at the results.
"""

from __future__ import annotations

import math
import shlex
import warnings

import optuna

from ddpg.launch.job import read_summary
from ddpg.tune.pbt_exploit import PopulationBasedTraining
from ddpg.tune.storage import TuneSettings

MIN_COMPLETE = 10  # complete trials before parameter importances mean anything


def study_report(study: optuna.Study, settings: TuneSettings, base: list[str]) -> str:
    """States, the best trial as a `python -m ddpg.run` command, importances, next commands."""
    trials = study.get_trials(deepcopy=False)
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    lines = [f"Study {study.study_name}: {len(trials)} trials ({states}) in {settings.dir}"]
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    if complete:
        best = study.best_trial
        command = ["python", "-m", "ddpg.run", *base, *best.user_attrs.get("overrides", [])]
        lines += [
            f"Best trial {best.number}: final eval {best.value:.1f} "
            f"({best.user_attrs.get('run_dir', '?')})",
            "  " + " ".join(map(shlex.quote, command)),
        ]
    else:
        lines.append("No trial completed yet.")
    lines += importance_lines(study)
    where, journal = shlex.quote(settings.dir), shlex.quote(settings.storage)
    lines += [
        "Next:",
        f"  python -m ddpg.compare {where}",
        f"  optuna-dashboard {journal}",
        f"  tensorboard --logdir {where}",
    ]
    return "\n".join(lines)


def pbt_report(pbt: PopulationBasedTraining, settings: TuneSettings) -> str:
    """The members ranked by their final eval, how often each copied another, next commands."""
    summaries = [read_summary(d / "summary.json") for d in pbt.run_dirs]
    finals = [s.get("final_eval_return") for s in summaries]
    score = [f if isinstance(f, float) and math.isfinite(f) else -math.inf for f in finals]
    order = sorted(range(len(finals)), key=lambda k: (-score[k], k))
    lines = [f"Population-based training: {len(finals)} members in {settings.dir}"]
    for rank, k in enumerate(order, 1):
        final = finals[k]
        shown = "-" if final is None else f"{final:.1f}"
        lines.append(
            f"  {rank:>2}. member {k}: final eval {shown} ({summaries[k].get('status', '?')}), "
            f"copied others {len(pbt.lineage[k])}x; {pbt.run_dirs[k] / 'schedule.json'}"
        )
    where = shlex.quote(settings.dir)
    lines += ["Next:", f"  python -m ddpg.compare {where}", f"  tensorboard --logdir {where}"]
    return "\n".join(lines)


def importance_lines(study: optuna.Study) -> list[str]:
    """PED-ANOVA importances over the complete trials: how much reaching their top quantile
    depends on each parameter (conditional ones included; Optuna's fANOVA evaluator would need
    scikit-learn). The quantile holds at least 5 trials, as PED-ANOVA's authors advise, so
    there is nothing to say before MIN_COMPLETE trials completed."""
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < MIN_COMPLETE:
        return [
            f"Parameter importances: not available yet ({len(complete)} complete trials; "
            f"they need {MIN_COMPLETE})"
        ]
    quantile = max(0.1, 5 / len(complete))
    evaluator = optuna.importance.PedAnovaImportanceEvaluator(target_quantile=quantile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a parameter a conditional dimension rarely sets
        importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    width = max(map(len, importances), default=0)
    return [
        f"Parameter importances (PED-ANOVA: reaching the top {quantile:.0%} of "
        f"{len(complete)} complete trials):"
    ] + [f"  {name:<{width}}  {value:.3f}" for name, value in importances.items()]
