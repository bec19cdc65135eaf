"""Our dbt project run against the configured warehouse: where the project is
(``project``), the environment of one dbt call (``invocation``), and choosing
the target, preparing the manifest and running dbt (``runner``). No Dagster here."""
