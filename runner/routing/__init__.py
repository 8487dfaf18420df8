"""st-run routing package."""
