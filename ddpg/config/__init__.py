"""The run's typed, validated configuration: schema, structured conversion, env defaults.

Importing the package registers the OmegaConf resolvers that conf/env/ composes with
(${from_id:} and ${for_id:}, ddpg.config.env_defaults), so they exist before Hydra composes.
"""

from ddpg.config import env_defaults  # noqa: F401  # registers the resolvers
