"""The collector: receives hits over HTTP, validates and enriches them, and lands them.

Run it with ``gunicorn 'collector.app:create_app()'``.
"""
