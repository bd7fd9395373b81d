"""The population's progress bar: members by status, best and median latest eval, steps/s."""

from ddpg.config.schema import TrainerConfig
from ddpg.population.progress import PopulationProgress
from ddpg.population.train_state import TrainState


def test_bar_counts_members_and_shows_best_and_median_eval(capsys):
    states = [
        TrainState(status="running", step=500, final_eval_return=-300.0),
        TrainState(status="completed", step=500, final_eval_return=-150.0),
        TrainState(status="diverged", step=400),
        TrainState(status="pruned", step=300, final_eval_return=-900.0),
    ]
    progress = PopulationProgress(TrainerConfig(total_steps=1000), states)
    progress.rate(500)
    progress.show(states)
    progress.close(states)
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "500/1000" in last
    assert "running=1" in last and "done=2" in last and "diverged=1" in last
    assert "best=-150.0" in last and "median=-300.0" in last
    assert "all_steps/s=" in last


def test_a_single_run_shows_its_eval_and_return_ema(capsys):
    states = [TrainState(step=200, final_eval_return=-123.4, return_ema=-456.7)]
    progress = PopulationProgress(TrainerConfig(total_steps=200), states)
    progress.close(states)
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "eval=-123.4" in last and "return_ema=-456.7" in last and "running" not in last
