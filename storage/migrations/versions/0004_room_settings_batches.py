"""room settings (time zone), reminder batches

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_settings",
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_room_settings")),
    )
    with op.batch_alter_table("reminder_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_txn_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder_ledger", schema=None) as batch_op:
        batch_op.drop_column("batch_txn_id")
    op.drop_table("room_settings")
