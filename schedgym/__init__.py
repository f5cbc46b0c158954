"""schedgym: a research gym for learned schedulers.

Importing the package registers the environments with Gymnasium (lazily, by entry-point string,
so the import stays cheap and subprocess workers started by forkserver see them too)::

    import gymnasium as gym
    import schedgym  # noqa: F401
    env = gym.make("schedgym/JobShop-v0", instance="ta01")
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

_ENVS = {
    "schedgym/JobShop-v0": "schedgym.jobshop.env:JobShopEnv",
    "schedgym/SoCDAG-v0": "schedgym.socdag.env:SoCDAGEnv",
    "schedgym/MemoryMapping-v0": "schedgym.memory.env:MemoryMappingEnv",
    "schedgym/FleetScheduling-v0": "schedgym.fleet.env:FleetSchedulingEnv",
}

for _env_id, _entry in _ENVS.items():
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry, disable_env_checker=True)
