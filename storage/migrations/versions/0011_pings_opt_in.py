"""pings are opt-in: profiles no longer allow mentions by default

Only who says `!erwähnen ja` (or whose import row says so) is pinged. Existing profiles are reset to "no": the old
default cannot be told apart from an explicit "ja". The change log says so, and `!profil` tells each person whether
they are pinged and how to switch it on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:43:31.523966+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.alter_column("allow_mentions", existing_type=sa.Boolean(), server_default=sa.false())
    op.execute(sa.text("UPDATE profiles SET allow_mentions = :no").bindparams(no=False))


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.alter_column("allow_mentions", existing_type=sa.Boolean(), server_default=sa.true())
