"""Test-wide settings: quiet TF, headless rendering, and the repo paths tests need."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_hydra_version_base():
    """initialize_config_dir(version_base=...) sets a process-wide singleton, and with it Hydra's
    working-directory default: without this, a test that composes conf/ changes how a later
    test's launcher behaves (Hydra's launcher suites expect the unspecified base)."""
    from hydra.version import VersionBase

    before = VersionBase.instance().getbase()
    yield
    VersionBase.instance().version_base = before


@pytest.fixture
def repo() -> Path:
    """The repository root (where conf/ lives)."""
    return REPO


def population_trainer(configs: list, run_dirs: list[Path]):
    """A Trainer for members `configs` writing into `run_dirs` (made here); `close()` after.

    What ddpg.launch.job.train_population does minus its summary records, for tests that look at the
    trainer's components after training.
    """
    from ddpg.population.build import build
    from ddpg.population.trainer import Trainer
    from ddpg.storage.metrics import MetricsWriter

    for run_dir in run_dirs:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
    writers = [MetricsWriter(Path(d)) for d in run_dirs]
    trainer = Trainer(configs, build(configs), run_dirs, writers)

    def close() -> None:
        for writer in writers:
            writer.close()
        trainer.c.close()

    trainer.close = close  # type: ignore[attr-defined]
    return trainer
