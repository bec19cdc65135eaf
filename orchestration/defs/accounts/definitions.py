"""The accounts domain: accounts of the control database become partitions."""

from dagster import Definitions

from orchestration.defs.accounts.sensors import account_partitions_sensor

defs = Definitions(sensors=[account_partitions_sensor])
