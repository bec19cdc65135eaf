"""The report API: read-only JSON reports over the dbt marts, one account per API key.

Run it with ``gunicorn 'api.app:create_app()'``.
"""
