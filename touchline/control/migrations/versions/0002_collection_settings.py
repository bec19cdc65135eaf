"""collection settings per account: cookie domain, consent default, IP anonymisation,
bot policy, server write key; blacklists; the cookieless visitor id salt

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("cookie_domain", sa.String(253), nullable=True))
        batch.add_column(
            sa.Column("consent_default", sa.String(8), nullable=False, server_default="granted")
        )
        batch.add_column(
            sa.Column("anonymize_ip", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("bot_policy", sa.String(8), nullable=False, server_default="flag")
        )
        batch.add_column(sa.Column("write_key_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("write_key_prefix", sa.String(16), nullable=True))
        batch.create_unique_constraint("uq_accounts_write_key_hash", ["write_key_hash"])
    op.create_table(
        "account_blacklist",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "kind", "value"),
    )
    op.create_table(
        "cookieless_salts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cookieless_salts")
    op.drop_table("account_blacklist")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_write_key_hash", type_="unique")
        for column in (
            "write_key_prefix",
            "write_key_hash",
            "bot_policy",
            "anonymize_ip",
            "consent_default",
            "cookie_domain",
        ):
            batch.drop_column(column)
