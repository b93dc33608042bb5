"""rooms introduced: the bot introduces itself once per room it is invited into

`room_settings.introduced_at` is set when the bot introduces itself in a room, and for the rooms it finds itself in at
start (joined before, or direct chats it opened): it never introduces itself twice, also when invited back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("room_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("introduced_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("room_settings", schema=None) as batch_op:
        batch_op.drop_column("introduced_at")
