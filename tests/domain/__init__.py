"""Tests of pure domain rules."""
