"""Touchline's Dagster definitions by domain: each ``<domain>/definitions.py``
holds that domain's assets, sensors and schedules; ``partitions`` the account
× day partitions with their run tags and pools, ``resources`` the resource
every asset takes, ``account_day`` the job that runs every domain's account × day
assets together."""
