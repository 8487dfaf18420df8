"""Pure values and game rules: no I/O, no imports from the rest of ``runner``."""
