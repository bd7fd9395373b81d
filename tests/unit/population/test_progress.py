"""The population's progress bar: members by status, best and median latest eval, steps/s;
whole lines where the output is not a terminal; the status file a launcher reads."""

import io
import json
import re

from tqdm import tqdm

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
    # Per slot, of what the members train: 1,700 steps taken; the one running member's budget
    # ends at 1,000, the others ended: 2,200 in all.
    assert "425/550" in last
    assert "running=1" in last and "done=2" in last and "diverged=1" in last
    assert "best=-150.0" in last and "median=-300.0" in last
    assert "all_steps/s=" in last


def test_a_single_run_shows_its_eval_and_return_ema(capsys):
    states = [TrainState(step=200, final_eval_return=-123.4, return_ema=-456.7)]
    progress = PopulationProgress(TrainerConfig(total_steps=200), states)
    progress.close(states)
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "eval=-123.4" in last and "return_ema=-456.7" in last and "running" not in last


class Terminal(io.StringIO):
    """A stream that says it is an interactive terminal."""

    def isatty(self) -> bool:
        return True


def test_redirected_output_gets_whole_lines_and_the_closing_rate_is_the_whole_runs():
    stream = io.StringIO()  # not a terminal: a log file, a pipe
    states = [TrainState(status="running", step=0) for _ in range(2)]
    progress = PopulationProgress(TrainerConfig(total_steps=1000), states, stream=stream)
    for step in range(1, 1001):
        for state in states:
            state.step = step
        if step % 250 == 0:
            progress.rate(step)
            progress.update(2 * step, 2000)
    tqdm.write("tune: trial 8 pruned at env step 1000 (eval -900.0)", file=stream)
    for state in states:
        state.status = "completed"
    progress.close(states)
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("  0%|") and "0/1000" in lines[0]  # at start, then every 30 s
    assert lines[1] == "tune: trial 8 pruned at env step 1000 (eval -900.0)"  # a line alone
    assert "1000/1000" in lines[2] and "running=0" in lines[2] and "done=2" in lines[2]
    assert len(lines) == 3
    # No member runs at the end: the rate shown is the whole run's, not running * last rate.
    rate = float(re.search(r"all_steps/s=(\d+)", lines[2]).group(1))
    assert rate > 0


def test_a_terminal_gets_a_redrawn_bar():
    stream = Terminal()
    states = [TrainState(status="running", step=0) for _ in range(2)]
    progress = PopulationProgress(TrainerConfig(total_steps=100), states, stream=stream)
    for state in states:
        state.step, state.status = 100, "completed"
    progress.close(states)
    assert "\r" in stream.getvalue() and "100/100" in stream.getvalue()


def test_the_status_file_says_where_the_population_stands(tmp_path):
    path = tmp_path / "0.progress.json"
    states = [
        TrainState(status="running", step=400, final_eval_return=-300.0),
        TrainState(status="diverged", step=400),
        TrainState(status="stopped_early", step=400, final_eval_return=-100.0),
    ]
    config = TrainerConfig(total_steps=1000, progress=False)  # kept without a bar too
    progress = PopulationProgress(config, states, status_path=path, stream=io.StringIO())
    status = json.loads(path.read_text())
    assert status == {  # per slot: 1,200 steps taken, 1,800 when the running member ends
        "step": 400,
        "total_steps": 600,
        "members": 3,
        "running": 1,
        "done": 1,
        "diverged": 1,
        "best": -100.0,
        "median": -200.0,
        "steps_per_s": None,
        "finished": False,
    }
    states[0].step, states[0].status = 1000, "completed"
    progress.close(states)
    status = json.loads(path.read_text())
    assert status["finished"] and status["step"] == status["total_steps"] == 600
    assert status["done"] == 2
