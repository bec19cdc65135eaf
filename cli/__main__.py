"""``python -m cli``: the same command as ``touchline``."""

from cli.main import main

main()
