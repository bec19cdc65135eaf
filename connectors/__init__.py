"""Ad-platform connectors. Each lands a platform's cost and performance rows in
the warehouse in the canonical ad-reporting column set; see docs/architecture.md."""
