"""The control database: accounts, API keys and (later) users, connections, rules."""
