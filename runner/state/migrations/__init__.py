"""Alembic migrations of st-run's state, applied by ``runner.state.migrate.upgrade``.

To change the schema: edit ``runner/state/models.py``, add ``versions/NNNN_what.py`` (by hand,
in the style of ``0001_initial.py``, ``down_revision`` = the previous one), and set
``runner.state.migrate.SCHEMA_REVISION`` to the new revision. ``tests/state/test_open.py``
checks that the migrations produce exactly the models, on SQLite and Postgres.
"""
