"""``python -m runner`` is ``st-run``."""

from runner.cli.main import main

main()
