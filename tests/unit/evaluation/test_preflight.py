"""ddpg.evaluation.preflight: no policy, or rendering that cannot work, fails in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddpg.evaluation import preflight as eval_preflight
from ddpg.evaluation.preflight import EvaluateError, check_render_support, find_policy


def test_find_policy_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(EvaluateError, match="run_dir does not exist"):
        find_policy(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(EvaluateError, match="run_dir is not a directory"):
        find_policy(tmp_path / "file")
    with pytest.raises(EvaluateError, match=r"is not a run directory \(no summary.json"):
        find_policy(tmp_path)
    (tmp_path / "params.json").write_text("{}")
    with pytest.raises(EvaluateError, match=f"{tmp_path / 'policy'} does not exist"):
        find_policy(tmp_path)
    (tmp_path / "policy").mkdir()
    assert find_policy(tmp_path) == tmp_path / "policy"


def test_video_needs_moviepy_and_a_window_needs_a_display(monkeypatch) -> None:
    monkeypatch.setattr(eval_preflight.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EvaluateError, match=r"video=true needs moviepy"):
        check_render_support(video=True, render="rgb_array")
    check_render_support(video=False, render="none")  # nothing asked: nothing checked
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(EvaluateError, match=r"render=human needs a display"):
        check_render_support(video=False, render="human")
