"""The ``touchline`` command line: the top of the house. One module per command
group; each reads the settings through :mod:`cli.context`."""
