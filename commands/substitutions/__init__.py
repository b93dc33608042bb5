"""Substitutions between cities: the commands (`commands`), the pure rules and request grammar (`rules`), and the
scheduled reminders, expiry and completion (`jobs`)."""

from commands.substitutions.commands import SubstitutionTexts, apply_due, offer_accepted_before, router
from commands.substitutions.jobs import SubstitutionJobs

__all__ = ["SubstitutionJobs", "SubstitutionTexts", "apply_due", "offer_accepted_before", "router"]
