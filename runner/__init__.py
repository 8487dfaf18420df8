"""st-run: run SpaceTraders fleets from validated YAML playbooks."""

__version__ = "0.1.0"
