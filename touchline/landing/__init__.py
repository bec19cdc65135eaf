"""The landing zone: append-only NDJSON files that the collector writes and the
loader reads. ``layout`` owns the paths, hours and listing; ``writer`` appends;
``reader`` reads a day folder in Python for inspection."""

from touchline.landing.layout import day_glob, hour_folder
from touchline.landing.reader import PartitionRead, read_partition
from touchline.landing.writer import (
    FSYNC_POLICIES,
    MAX_FILE_AGE,
    MAX_FILE_BYTES,
    FsyncPolicy,
    LandingUnavailable,
    LandingWriter,
    instance_name,
)

__all__ = [
    "FSYNC_POLICIES",
    "MAX_FILE_AGE",
    "MAX_FILE_BYTES",
    "FsyncPolicy",
    "LandingUnavailable",
    "LandingWriter",
    "PartitionRead",
    "day_glob",
    "hour_folder",
    "instance_name",
    "read_partition",
]
