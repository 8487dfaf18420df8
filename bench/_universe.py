"""Shared by bench scripts: the real X1-AD75 system, ship classes and random systems.

The loaders live in ``tests/routing/universe.py`` (one copy); this puts the repo on the path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SAMPLES_DIR = Path(os.environ.get("ST_RUN_SAMPLES_DIR",
                                  REPO.parent / "shared" / "spacetraders-universe-samples"))

from tests.routing.universe import (  # noqa: E402
    load_snapshot_system,
    make_ship,
    random_system,
    ship_class_stats,
)

__all__ = ["SAMPLES_DIR", "load_snapshot_system", "make_ship", "random_system",
           "ship_class_stats"]
