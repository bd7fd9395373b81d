"""Registers `hydra/launcher=population` in Hydra's ConfigStore, as Hydra's launcher plugins
register theirs, so any Hydra app (not only ddpg.run, whose conf/ does not hold it) finds it.

The options live in population.yaml beside this file, with their comments. Hydra imports this
module at every start-up (its plugin scan): it loads one small YAML file and nothing else.
"""

from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

ConfigStore.instance().store(
    group="hydra/launcher",
    name="population",
    node=OmegaConf.load(Path(__file__).with_name("population.yaml")),
    provider="ddpg_population_launcher",
)
