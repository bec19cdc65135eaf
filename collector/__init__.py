"""The collector: receives hits over HTTP, validates and enriches them, and lands them.

Run it with ``touchline collector serve`` (granian, ``collector.app:create_app``).
"""
