"""st-run actions package."""
