"""Dagster definitions of Touchline: one folder per domain, loaded by definitions.py."""
