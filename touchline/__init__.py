"""Touchline core: settings, account registry, warehouse access, the hit contract, the CLI."""

__version__ = "0.1.0"
