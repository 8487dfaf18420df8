"""st-run api package."""
