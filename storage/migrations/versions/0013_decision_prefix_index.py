"""decision search, issue #12: an FTS5 index of 3-letter prefixes (SQLite), a stored tsvector (PostgreSQL)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:45:00.481494+00:00

SQLite: the FTS5 table over ``decisions.search_text`` is created again with ``prefix='3'`` (FTS5 cannot add a
prefix index to an existing table) and filled from the stored texts, so the shortest word start a search expands
is one lookup. PostgreSQL: the expression index on ``to_tsvector('simple', search_text)`` becomes a stored
generated column ``search_vector`` with a GIN index, so a search that walks a date index tests each row without
parsing its text (storage.models.POSTGRESQL_ONLY). The texts themselves are rebuilt in the new format by the bot
at its next start, because the index version changed (DecisionRepository.rebuild_index_if_stale).
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS5 = (
    "CREATE VIRTUAL TABLE decision_fts USING fts5(search_text, content='decisions', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', detail=column, columnsize=0{prefix})"
)


def _recreate_fts5(prefix: str) -> None:
    op.execute("DROP TABLE decision_fts")
    op.execute(_FTS5.format(prefix=prefix))
    op.execute("INSERT INTO decision_fts(decision_fts) VALUES ('rebuild')")


def _stored_vector() -> None:
    op.drop_index("ix_decisions_search_text", table_name="decisions")
    op.execute(
        "ALTER TABLE decisions ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
    )
    op.create_index("ix_decisions_search_vector", "decisions", ["search_vector"], postgresql_using="gin")


def _expression_index() -> None:
    op.drop_index("ix_decisions_search_vector", table_name="decisions")
    op.drop_column("decisions", "search_vector")
    op.create_index(
        "ix_decisions_search_text",
        "decisions",
        [sa.text("to_tsvector('simple'::regconfig, search_text)")],
        postgresql_using="gin",
    )


def _on_this_backend(**steps: Callable[[], None]) -> None:
    step = steps.get(op.get_bind().dialect.name)
    if step is not None:
        step()


def upgrade() -> None:
    _on_this_backend(sqlite=lambda: _recreate_fts5(", prefix='3'"), postgresql=_stored_vector)


def downgrade() -> None:
    _on_this_backend(sqlite=lambda: _recreate_fts5(""), postgresql=_expression_index)
