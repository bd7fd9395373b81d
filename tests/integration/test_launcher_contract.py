"""Hydra's launcher contract for `hydra/launcher=population`: the suites every launcher plugin
runs (hydra.test_utils.launcher_common_tests, subclassed as hydra-joblib-launcher's tests do),
with Hydra's own test apps, whose task functions are not ddpg.run's: the launcher runs them as
Hydra's basic launcher does. Its config is found through Hydra's ConfigStore (config.py), as any
plugin's is, not through ddpg's conf/.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.test_utils.launcher_common_tests import (
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)
from hydra.test_utils.test_utils import TSweepRunner

from hydra_plugins.ddpg_population_launcher.population_launcher import PopulationLauncher


def test_discovery() -> None:
    found = Plugins.instance().discover(Launcher)
    assert PopulationLauncher.__name__ in [x.__name__ for x in found]


@pytest.mark.parametrize("launcher_name, overrides", [("population", [])])
class TestPopulationLauncher(LauncherTestSuite):
    """Hydra's launcher suite (sweeps, config groups, a bad key, custom resolvers)."""


@pytest.mark.parametrize(
    "launcher_name, overrides",
    [("population", ["hydra/sweeper=basic", "hydra.sweeper.max_batch_size=2"])],
)
class TestPopulationLauncherWithBatching(BatchedSweeperTestSuite):
    """Hydra's suite for a sweeper that launches in batches."""


@pytest.mark.slow
@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags",
    [
        (
            {
                "defaults": [
                    {"override hydra/launcher": "population"},
                    {"override hydra/hydra_logging": "hydra_debug"},
                    {"override hydra/job_logging": "disabled"},
                ]
            },
            ["-m"],
        )
    ],
)
class TestPopulationLauncherIntegration(IntegrationTestSuite):
    """Hydra's integration suite: a generated app run as a command (job names, sweep dirs,
    hydra.job.chdir, the original cwd). The defaults say `override`, as Hydra 1.3 requires."""


def test_a_task_that_raises_comes_back_failed_with_its_exception(
    hydra_sweep_runner: TSweepRunner, tmpdir
) -> None:
    """As with Hydra's basic launcher: every job runs, and the sweeper re-raises the first
    failed job's exception (reading a FAILED JobReturn's value raises it)."""
    ran = []

    def task(cfg) -> None:
        ran.append(cfg.a)
        raise ValueError(f"the task's own error {cfg.a}")

    sweep = hydra_sweep_runner(
        calling_file=None,
        calling_module="hydra.test_utils.a_module",
        task_function=task,
        config_path="configs",
        config_name="compose.yaml",
        overrides=["hydra/launcher=population", "+a=0,1"],
        temp_dir=tmpdir,
    )
    with pytest.raises(ValueError, match="the task's own error 0"), sweep:
        pass
    assert ran == [0, 1]


def test_importing_ddpg_and_the_plugin_changes_no_hydra_state() -> None:
    """hydra.main(version_base=...) sets the process's version base as it decorates (and with it
    Hydra's working-directory default): ddpg.run applies it only when run as the command."""
    code = CHECK.format(extra="")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout == "unchanged\n", found.stderr[-2000:]
    # The check can fail: hydra.main applied at import (as ddpg.run once did) is caught.
    code = CHECK.format(extra="hydra.main(version_base='1.3')")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "AssertionError" in found.stderr


CHECK = """
import hydra, hydra.version
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
before = hydra.version.getbase()
import ddpg, ddpg.run, ddpg.launch.job_outcome, ddpg.launch.run_folders, ddpg.tune.__main__
import hydra_plugins.ddpg_population_launcher.population_launcher
import hydra_plugins.ddpg_population_launcher._jobs
import hydra_plugins.ddpg_population_launcher._backends
{extra}
assert hydra.version.getbase() is before, hydra.version.getbase()
assert not GlobalHydra.instance().is_initialized() and not HydraConfig.initialized()
print("unchanged")
"""
