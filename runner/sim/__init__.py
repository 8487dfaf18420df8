"""st-run sim package."""
