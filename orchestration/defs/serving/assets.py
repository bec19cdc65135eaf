"""The last step of every account × day run: publish the marts for the report API.

On DuckDB the API reads a serving copy of the marts, never the warehouse file
(a build holds that exclusively): this step copies every mart into a new
serving file and switches the API to it atomically (:mod:`touchline.serving`).
It runs after the dbt step in the same run, so a run whose build failed
publishes nothing and the API keeps answering from the last good copy.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.defs.dbt.manifest import MART_NAMES
from orchestration.defs.partitions import (
    ACCOUNT_DAY_WRITER,
)
from orchestration.defs.resources import TouchlineResource
from touchline.serving import publish, serving_dir
from touchline.warehouse import parse_warehouse_url

SERVING_ASSET = "serving_marts"


def build_serving_asset(dialect: str) -> AssetsDefinition:
    @asset(
        name=SERVING_ASSET,
        # The same partitions and policy as every account × day asset, so it
        # joins the same range run, after the marts it depends on.
        **ACCOUNT_DAY_WRITER,
        deps=[AssetKey(name) for name in MART_NAMES],
        group_name="serving",
        kinds={"python", dialect},
        # It reads the warehouse: on DuckDB no build may write it meanwhile.
        description=(
            "What the report API reads. DuckDB: every fct_/dim_ mart copied into a new "
            "serving file next to the warehouse, then made current by atomically replacing "
            "the pointer file, so reports never wait for a build, a build never waits for "
            "reports, and a report reads the old marts or the new ones, never a mix. "
            "MySQL/MariaDB: nothing to copy (the API reads the warehouse; each mart's "
            "partitions are replaced in one transaction)."
        ),
    )
    def serving_marts(
        context: AssetExecutionContext, touchline: TouchlineResource
    ) -> MaterializeResult:
        settings = touchline.settings
        target = parse_warehouse_url(settings.resolved_warehouse_url)
        if target.dialect != "duckdb":
            return MaterializeResult(
                metadata={"serving": "the report API reads the warehouse directly"}
            )
        published = publish(target.path, keep_seconds=settings.serving_keep_seconds)
        context.log.info(
            f"published {len(published.tables)} marts as {published.snapshot.name} "
            f"in {published.seconds:.1f} s; removed {len(published.removed)} retired copies"
        )
        return MaterializeResult(
            metadata={
                "serving_file": published.snapshot.name,
                "serving_dir": MetadataValue.path(str(serving_dir(str(target.path)))),
                "published_at": published.snapshot.published_at.isoformat(),
                "marts": MetadataValue.json(published.tables),
                "seconds": round(published.seconds, 3),
                "bytes": published.bytes,
                "retired_copies_removed": len(published.removed),
            }
        )

    return serving_marts
