"""Tests of the state store, on a real SQLite file and on real Postgres."""
