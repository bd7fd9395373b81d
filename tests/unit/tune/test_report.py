"""ddpg.tune.report: the closing report's ready command and parameter importances."""

from __future__ import annotations

import optuna

from ddpg.tune.report import importance_lines, study_report
from ddpg.tune.storage import TuneSettings


def test_report_prints_a_ready_command_and_says_when_importances_wait() -> None:
    study = optuna.create_study(direction="maximize")
    for value, tau in ((-300.0, 0.01), (-150.0, 0.02)):
        trial = study.ask()
        trial.suggest_float("agent.tau", 0.001, 0.08, log=True)
        trial.set_user_attr("overrides", [f"agent.tau={tau}", "noise='odd name'"])
        trial.set_user_attr("run_dir", f"outputs/tune/s/{trial.number}_x")
        study.tell(trial, value)
    text = study_report(study, TuneSettings(study="s", dir="outputs/tune/s"), ["env=pendulum"])
    assert "Best trial 1: final eval -150.0 (outputs/tune/s/1_x)" in text
    assert "  python -m ddpg.run env=pendulum agent.tau=0.02 'noise='\"'\"'odd name'\"'\"''" in text
    assert "2 complete" in text and "optuna-dashboard outputs/tune/study/journal.log" in text
    assert importance_lines(study) == [
        "Parameter importances: not available yet (2 complete trials; they need 10)"
    ]


def test_importances_rank_the_parameter_that_matters() -> None:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(
        lambda t: -abs(t.suggest_float("lr", 0, 1) - 0.3) + 0 * t.suggest_float("noise", 0, 1),
        n_trials=40,
    )
    lines = importance_lines(study)
    assert lines[0].startswith("Parameter importances (PED-ANOVA: reaching the top 12% of 40")
    assert lines[1].split()[0] == "lr"
