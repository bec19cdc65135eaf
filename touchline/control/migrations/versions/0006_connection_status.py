"""last pull and last error per connection; OAuth flows in progress (state + PKCE)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("last_pull_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_success_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(500), nullable=True))
        batch.add_column(sa.Column("last_error_at", sa.DateTime(), nullable=True))
    op.create_table(
        "oauth_flows",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("platform", sa.String(32), nullable=False),
        # Only the SHA-256 of the state: a copy of this table completes no flow.
        sa.Column("state_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("verifier_blob", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
        sa.Column("started_by", sa.String(254), nullable=False),
        sa.Column("external_account_id", sa.String(64), nullable=True),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("secret_blob", sa.Text(), nullable=True),
        sa.Column("choices_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("state_used_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("oauth_flows")
    with op.batch_alter_table("connections") as batch:
        for column in ("last_error_at", "last_error", "last_success_at", "last_pull_at"):
            batch.drop_column(column)
