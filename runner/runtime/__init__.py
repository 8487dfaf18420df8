"""st-run runtime package."""
