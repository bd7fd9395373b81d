"""The launcher's view of its running populations: log path once, then a bar (terminal) or a whole
line now and then (redirected), then one line from the members' summaries."""

import io
import json
from pathlib import Path

from ddpg.launch.sweep_progress import SweepProgress, read_status, status_text


class Terminal(io.StringIO):
    """A stream that says it is an interactive terminal."""

    def isatty(self) -> bool:
        return True


def write_status(path: Path, step: int, **counts) -> None:
    status = {"step": step, "total_steps": 1000, "members": 4, "running": 4, "done": 0}
    status |= {"diverged": 0, "best": None, "median": None, "steps_per_s": None}
    path.write_text(json.dumps({**status, "finished": False, **counts}))


def test_redirected_output_gets_whole_lines_per_population(tmp_path):
    stream = io.StringIO()
    progress = SweepProgress(stream, line_every_s=3600)
    status_path = tmp_path / "0.progress.json"
    progress.started(0, "population 0", 4, tmp_path / "0.log", status_path)
    progress.refresh()  # the child has not written its status yet: nothing to draw
    write_status(status_path, 250, steps_per_s=50.0, best=-120.04, median=-300.0)
    progress.refresh()
    write_status(status_path, 500)
    progress.refresh()  # within line_every_s: no second line
    summaries = [{"status": "completed", "env_steps": 1000, "final_eval_return": -100.0}] * 3
    summaries.append({"status": "diverged", "env_steps": 420, "final_eval_return": None})
    progress.ended(0, summaries)
    assert "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines() == [
        f"population 0 (4 jobs) log: {tmp_path / '0.log'}",
        "population 0: 250/1000 steps (25%), running 4, done 0, diverged 0, best -120.0, "
        "median -300.0, 50 steps/s, 00:15 left",
        "population 0 ended at env step 1000: done 3, diverged 1, best -100.0, median -100.0",
    ]


def test_each_running_population_gets_a_line_every_interval(tmp_path):
    stream = io.StringIO()
    progress = SweepProgress(stream, line_every_s=0)
    for key in (0, 1):
        path = tmp_path / f"{key}.progress.json"
        progress.started(key, f"population {key}", 4, tmp_path / f"{key}.log", path)
        write_status(path, 100 * (key + 1))
    progress.refresh()
    progress.refresh()
    lines = stream.getvalue().splitlines()[2:]
    assert [line.split(" steps")[0] for line in lines] == [
        "population 0: 100/1000",
        "population 1: 200/1000",
    ] * 2


def test_a_terminal_gets_one_redrawn_bar_per_running_population(tmp_path):
    stream = Terminal()
    progress = SweepProgress(stream)
    for key in (0, 1):
        path = tmp_path / f"{key}.progress.json"
        progress.started(key, f"population {key}", 4, tmp_path / f"{key}.log", path)
        write_status(path, 100 * (key + 1), running=3, done=1)
    progress.refresh()
    assert [shown.position for shown in progress.shown.values()] == [0, 1]
    text = stream.getvalue()
    assert "\r" in text
    assert "population 0:  10%|" in text and "100/1000 steps, running 3, done 1" in text
    assert "population 1:  20%|" in text and "200/1000 steps" in text
    progress.ended(0, [{"status": "completed", "env_steps": 1000}])
    assert list(progress.shown) == [1]
    progress.close()
    assert not progress.shown


def test_status_text_leaves_out_the_time_left_once_nothing_runs():
    status = {"step": 1000, "total_steps": 1000, "running": 0, "done": 4, "diverged": 0}
    status |= {"best": 1.0, "median": 0.5, "steps_per_s": 80.0, "finished": True}
    assert status_text(status) == "running 0, done 4, diverged 0, best 1.0, median 0.5"


def test_a_missing_or_half_written_status_reads_as_none(tmp_path):
    path = tmp_path / "0.progress.json"
    assert read_status(path) is None
    path.write_text('{"step": 1')
    assert read_status(path) is None
    path.write_text("[1, 2]")
    assert read_status(path) is None
