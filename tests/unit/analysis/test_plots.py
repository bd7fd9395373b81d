"""returns.png from a hand-written scalars.csv: written, a real PNG, and robust to odd runs."""

import json
from pathlib import Path

import pytest

from ddpg.analysis.plots import read_series, save_returns_plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_run(run_dir: Path, rows: list[tuple[int, str, float]], params: bool = True) -> Path:
    lines = ["step,key,value"] + [f"{step},{key},{value!r}" for step, key, value in rows]
    (run_dir / "scalars.csv").write_text("\n".join(lines) + "\n")
    if params:
        params_json = {"env.id": "Pendulum-v1", "seed": 3, "env.solved_score": -200.0}
        (run_dir / "params.json").write_text(json.dumps(params_json))
    return run_dir


def pendulum_rows() -> list[tuple[int, str, float]]:
    rows, ema = [], None
    for episode in range(1, 21):
        step, ret = 200 * episode, -1500.0 + 60.0 * episode
        ema = ret if ema is None else 0.9 * ema + 0.1 * ret
        rows += [(step, "train/episode_return", ret), (step, "train/episode_return_ema", ema)]
        rows += [(step, "loss/critic", 1.0 / episode)]  # other keys are ignored
        if episode % 5 == 0:
            rows += [(step, "eval/return_mean", ret + 50), (step, "eval/return_std", 30.0)]
    return rows


def assert_png(path: Path) -> None:
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert path.stat().st_size > 10_000  # axes, curves and labels, not an empty canvas
    height, width = matplotlib.image.imread(path).shape[:2]
    assert (width, height) == (960, 540)  # 8 x 4.5 inches at 120 dpi


def test_writes_a_valid_png_into_the_run_dir(tmp_path):
    path = save_returns_plot(write_run(tmp_path, pendulum_rows()))
    assert path == tmp_path / "returns.png"
    assert_png(path)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


def test_plots_without_params_or_finished_episodes(tmp_path):
    write_run(tmp_path, [(50, "perf/steps_per_sec", 900.0)], params=False)
    assert_png(save_returns_plot(tmp_path))


def test_missing_scalars_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        save_returns_plot(tmp_path)


def test_malformed_row_names_the_line(tmp_path):
    (tmp_path / "scalars.csv").write_text("step,key,value\n200,train/episode_return,oops\n")
    with pytest.raises(ValueError, match=r"scalars.csv:2"):
        save_returns_plot(tmp_path)


def test_series_keep_step_order_and_a_resume_replaces_rewound_rows(tmp_path):
    rows = [(100, "train/episode_return", -900.0), (200, "train/episode_return", -800.0)]
    rows += [(300, "train/episode_return", -700.0)]
    rows += [(200, "train/episode_return", -750.0), (300, "train/episode_return", -650.0)]
    write_run(tmp_path, rows)
    steps, values = read_series(tmp_path / "scalars.csv", ["train/episode_return"])[
        "train/episode_return"
    ]
    assert steps == [100, 200, 300]
    assert values == [-900.0, -750.0, -650.0]


def test_learning_curves_png_from_bands(tmp_path):
    import matplotlib.image
    import numpy as np

    from ddpg.analysis.plots import Band, save_learning_curves

    steps = np.linspace(0.0, 2000.0, 201)
    mean = -1200.0 + 0.5 * steps
    low, high = mean - 100.0, mean + 50.0
    low[-50:] = high[-50:] = np.nan  # one run left there: no interval, the mean still drawn
    bands = {
        "0.005": Band(steps, mean, low, high, 5, 2),
        "0.01": Band(steps, mean, low, high, 3, 0),
    }
    path = save_learning_curves(bands, tmp_path / "learning_curves.png", "eval/return_mean")
    assert path == tmp_path / "learning_curves.png"
    assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 10_000
    height, width = matplotlib.image.imread(path).shape[:2]
    assert height == 612  # (4.2 inches of axes + 0.9 of margin) at 120 dpi
    assert width > (7.0 + 1.1) * 120  # the axes and margin, and the legend beside them
    assert not list(tmp_path.glob(".*.tmp"))
    empty = save_learning_curves({}, tmp_path / "none.png", "eval/return_mean")
    assert empty.read_bytes()[:8] == PNG_SIGNATURE  # nothing to draw: axes only
