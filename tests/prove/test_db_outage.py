"""The runner survives its Postgres going away for a few seconds (CI share of bench/db_outage).

The shared Postgres is not touched: ``bench/db_outage.py`` puts a TCP proxy in front of it
and cuts every connection for the outage. The full bench cuts for 30 s.
"""

from __future__ import annotations

import pytest

from bench.db_outage import run


@pytest.mark.slow
@pytest.mark.postgres
# regression: the runner once died on a database outage (fixed in 7f98b5c)
def test_runner_survives_a_short_database_outage(pg_url: str) -> None:
    assert run(outage=4.0, iterations=8, cut_after=0.5, rerun=False) == 0
