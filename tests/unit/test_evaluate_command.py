"""python -m ddpg.evaluate: argparse help listing every setting, one-line errors."""

import dataclasses

import pytest

from ddpg import evaluate
from ddpg.config.schema import ConfigError
from ddpg.evaluation.evaluate import EvalOptions


def test_help_lists_exactly_the_options() -> None:
    assert list(evaluate.SETTINGS) == [f.name for f in dataclasses.fields(EvalOptions)]
    text = evaluate.parser().format_help()
    assert all(key in text for key in evaluate.SETTINGS)


def test_settings_convert_through_the_config_rules(tmp_path) -> None:
    options = evaluate.parse_args([f"run_dir={tmp_path}", "episodes=3", "video=true"])
    assert (options.run_dir, options.episodes, options.video) == (tmp_path, 3, True)
    with pytest.raises(ConfigError, match="episodes"):
        evaluate.parse_args([f"run_dir={tmp_path}", "episodes=0"])
    with pytest.raises(ConfigError, match="'oops' is not a key=value argument"):
        evaluate.parse_args(["oops"])


def test_user_errors_exit_2_with_one_line(tmp_path, capsys) -> None:
    assert evaluate.main([f"run_dir={tmp_path / 'missing'}"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
