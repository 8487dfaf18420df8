"""st-run state package."""
