"""Fixtures for end-to-end runs (``pg_db_url``, a fresh Postgres database per test, is in
``tests/conftest.py``)."""
