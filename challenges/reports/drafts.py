"""The unsigned challenge report, its snapshot built once per page version (docs/page-cache.md, "Draft reports").

A draft is downloaded again and again while the allergist reviews a challenge, and nothing in it changes until a
record does. Reading a challenge's records into the snapshot is about 40 % of building the report, so the snapshot
is stored under the challenge's page version, which takes a new random value on every write to anything the report
reads (challenges.page_version: its rows, the patient's history, the protocol, the food, the clinic, its staff).
The version is read from the database on every download, so a stored snapshot is served only while nothing it was
built from has changed. What changes by the clock alone (the observation period ending, the washout review before
the booked start, a new day) makes the stored snapshot expire, as a cached page does. The PDF is drawn afresh every
time, with the time it is made. Signed reports are not drafts: they are stored when signed (signed.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import caches
from django.utils import timezone, translation

from challenges.models import Challenge
from challenges.reports.build_challenge import draft_report, made_at
from challenges.reports.snapshot import ChallengeReport
from clinics import page_cache


@dataclass(frozen=True)
class _Stored:
    report: ChallengeReport
    built_at: datetime
    expires_at: datetime

    def holds(self, now: datetime) -> bool:
        return self.built_at <= now < self.expires_at  # built later than now: a clock set back


def key(pk: int, version: int) -> str:
    return f"report:{pk}:{version}:{translation.get_language()}"


def draft(challenge: Challenge) -> ChallengeReport:
    """The draft report's snapshot as of now: stored while the challenge's page version and the clock allow."""
    version = Challenge._base_manager.filter(pk=challenge.pk).values_list("page_version", flat=True).get()
    cache = caches[page_cache.CACHE_ALIAS]
    now = timezone.now()
    stored: _Stored | None = cache.get(key(challenge.pk, version))
    if stored is not None and stored.holds(now):
        return dataclasses.replace(stored.report, **made_at(now, challenge.clinic.tzinfo))
    report, changes_at = draft_report(challenge)
    before_start = now < challenge.scheduled_at
    max_age = page_cache.BEFORE_START_MAX_AGE if before_start else page_cache.MAX_AGE
    stored = _Stored(report, now, page_cache.expiry(now, max_age, changes_at, challenge.clinic.tzinfo))
    timeout = max(1, int((stored.expires_at - now).total_seconds()) + 1)
    cache.set(key(challenge.pk, version), stored, timeout=timeout)
    return report
