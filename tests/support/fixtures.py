"""Shared pytest fixtures (the simulator helper fills this in): simulator app, server, spec."""
