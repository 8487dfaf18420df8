"""st-run watch package."""
