"""st-run cli package."""
