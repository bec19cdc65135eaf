"""Groups of ``touchline`` subcommands kept out of cli.py."""
