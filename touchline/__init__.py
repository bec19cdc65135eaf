"""Touchline's core, the ground floor every service stands on: settings, the hit
contract, the landing zone, the loader, the warehouse and its table registry, the
serving copy, the control database, the attribution models and the dbt runner.
It imports no service and no Dagster (pyproject.toml's import contracts)."""

__version__ = "0.1.0"
