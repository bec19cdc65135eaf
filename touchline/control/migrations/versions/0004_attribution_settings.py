"""attribution settings per account (lookback, fit window, view-through) and
per-account channel rules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("lookback_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(sa.Column("fit_days", sa.Integer(), nullable=False, server_default="90"))
        batch.add_column(
            sa.Column("view_through_hours", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "channel_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("conditions_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("channel_rules")
    with op.batch_alter_table("accounts") as batch:
        for column in ("view_through_hours", "fit_days", "lookback_days"):
            batch.drop_column(column)
