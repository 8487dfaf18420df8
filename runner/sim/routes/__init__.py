"""Game endpoints, one module per resource; all register on ``REGISTRY``."""

from runner.sim.api import Registry

REGISTRY = Registry()
