"""Alembic migrations of st-run's state, applied by ``runner.state.migrate.upgrade``."""
