"""Benchmark: requests a runner sends to start 1, 2 and 5 containers (issue 22).

Each run: a fresh simulator on a loopback socket, a fresh SQLite database (no cached
universe), one supervisor starting N one-step playbooks (one ship each) to their end. The
count is the simulator's per-agent request counter. Shared universe data (the system and
its markets) should be fetched once per runner, so each extra container adds only its own
reads (its ship, its agent).

    .venv/bin/python bench/startup_requests.py [--containers 1 2 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.runtime.startup import startup_requests  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, nargs="+", default=[1, 2, 5])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.containers:
            requests = startup_requests(count, Path(tmp) / str(count))
            print(f"{count} container(s): {requests} requests")


if __name__ == "__main__":
    main()
