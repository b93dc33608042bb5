"""Persistence: models, repositories returning frozen dataclasses, Alembic migrations."""

from storage.db import Database, DatabaseNewerThanCode, normalize_url
from storage.models import LedgerStatus
from storage.repositories import (
    LedgerEntry,
    ReminderLedgerRepository,
    Repositories,
    SyncStateRepository,
    UserSettingsRecord,
    UserSettingsRepository,
    txn_id_for,
)

__all__ = [
    "Database",
    "DatabaseNewerThanCode",
    "LedgerEntry",
    "LedgerStatus",
    "ReminderLedgerRepository",
    "Repositories",
    "SyncStateRepository",
    "UserSettingsRecord",
    "UserSettingsRepository",
    "normalize_url",
    "txn_id_for",
]
