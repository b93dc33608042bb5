"""action item numbers: "Aufgabe #1" counts action items only

Before, an action item showed its row id in `minutes_items`, which infos and decision entries share: the first
task of a meeting could be "Aufgabe #3". `minutes_items.number` is now the number people see, counted among action
items alone (storage.decisions.ACTION_NUMBER_KEY). Existing action items keep their row id as their number, so a
number shown before (in a reply, a reminder, a file) still finds the same item with `!erledigt`; new ones continue
after the highest. Nothing is renumbered, nothing is lost.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTER = "minutes.action_number"  # storage.decisions.ACTION_NUMBER_KEY


def upgrade() -> None:
    with op.batch_alter_table("minutes_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE minutes_items SET number = id WHERE kind = 'action'"))
    op.create_index(
        "uq_minutes_items_action_number",
        "minutes_items",
        ["number"],
        unique=True,
        sqlite_where=sa.text("kind = 'action'"),
        postgresql_where=sa.text("kind = 'action'"),
    )
    highest = op.get_bind().scalar(sa.text("SELECT max(number) FROM minutes_items WHERE kind = 'action'"))
    if highest is not None:
        op.execute(
            sa.text("INSERT INTO sync_state (key, value) VALUES (:key, :value)").bindparams(
                key=_COUNTER, value=str(highest)
            )
        )


def downgrade() -> None:
    # The numbers of action items added since are lost with the column; their row ids stay.
    op.execute(sa.text("DELETE FROM sync_state WHERE key = :key").bindparams(key=_COUNTER))
    op.drop_index("uq_minutes_items_action_number", table_name="minutes_items")
    with op.batch_alter_table("minutes_items", schema=None) as batch_op:
        batch_op.drop_column("number")
