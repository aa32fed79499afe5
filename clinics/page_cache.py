"""The bedside page rendered once per record version, served from a cache with its per-request holes filled in.

The key is (challenge, `Challenge.page_version`, user, language, time zone); the version is read from the database
on every request (one query that is also the access check), and changes on every write to anything the page shows
(challenges.page_version). An entry is therefore never stale for data, whichever process stored it.

What the page shows that changes without a write is left out of the stored HTML as a *hole*, filled on each request:
- the CSRF token (the page is rendered with a marker as its `csrf_token`);
- each form's one-time key (`idempotency_key`, `submission_key`): a fresh UUID per form per request;
- every countdown ("19 min 25 s left", "overdue 4 min"), worded at serve time by clinical.countdown from its due
  time, exactly as the `countdown` template tag words it.

Anything else that changes with the clock alone (a dose becoming due, the observation period ending, the washout
review before the booked start, the day changing) makes the entry expire: each entry carries the earliest future
instant at which its rendering would change (`Entry.expires_at`), and is rendered again at or after it.

The cache is a per-process `LocMemCache` (alias "pages"): see docs/page-cache.md for why that is safe with two app
servers.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from clinical import countdown as waits

CACHE_ALIAS = "pages"
# Belt and braces: an entry lives at most this long even if nothing on the clock says it changes (see the docs).
MAX_AGE = timedelta(minutes=10)
# Before a challenge's booked start, its washout review dates what is already too late by the clock: re-render
# at least this often then.
BEFORE_START_MAX_AGE = timedelta(minutes=1)

_NONCE = secrets.token_hex(8)  # per process: text typed into a record cannot forge a hole
_HOLE = re.compile(rf"@@hole-{_NONCE}-(\w+)@@")
_ONE_TIME_KEY = re.compile(
    r'(<input type="hidden" name="(?:idempotency_key|submission_key)" value=")'
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(")'
)
CSRF_HOLE = f"@@hole-{_NONCE}-csrf@@"
_KEY_HOLE = f"@@hole-{_NONCE}-key@@"


# --- countdowns -----------------------------------------------------------------------------------------------


def countdown_html(due: datetime, now: datetime, done: str = "", testid: str = "") -> SafeString:
    """A countdown worded for `now` (the `countdown` template tag's markup; countdown.js keeps it running)."""
    left = due - now
    state = waits.urgency(left)
    if done and state != waits.Urgency.WAITING:
        text, state = done, waits.Urgency.DUE
    else:
        text = waits.countdown_text(left)
    return format_html(
        '<span class="countdown num is-{}" data-due="{}" data-due-now-seconds="{}" data-red-after-seconds="{}"{}{}>'
        "{}</span>",
        state,
        due.isoformat(),
        int(waits.DUE_NOW_FOR.total_seconds()),
        int(waits.OVERDUE_RED_AFTER.total_seconds()),
        format_html(' data-due-text="{}"', done) if done else "",
        format_html(' data-testid="{}"', testid) if testid else "",
        text,
    )


def countdown(due: datetime, done: str = "", testid: str = "") -> SafeString:
    """The `countdown` tag: worded now, or a hole when the page is being rendered for the cache."""
    recorder = _recording.get()
    if recorder is None:
        return countdown_html(due, timezone.now(), done, testid)
    recorder.instants.extend((due, due + waits.DUE_NOW_FOR, due + waits.OVERDUE_RED_AFTER))
    return recorder.hole(_Countdown(due, done, testid))


# --- recording a render ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Countdown:
    due: datetime
    done: str
    testid: str


@dataclass
class _Recorder:
    holes: list[_Countdown] = field(default_factory=list)
    instants: list[datetime] = field(default_factory=list)

    def hole(self, spec: _Countdown) -> SafeString:
        self.holes.append(spec)
        return mark_safe(f"@@hole-{_NONCE}-{len(self.holes) - 1}@@")  # noqa: S308 (no user text in it)


_recording: ContextVar[_Recorder | None] = ContextVar("page_cache_recording", default=None)


@contextmanager
def _record() -> Iterator[_Recorder]:
    recorder = _Recorder()
    token = _recording.set(recorder)
    try:
        yield recorder
    finally:
        _recording.reset(token)


# --- entries --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A rendered page: the HTML between its holes, what fills each hole, and until when it holds."""

    title: str
    parts: tuple[str, ...]  # len(holes) + 1 pieces of HTML
    holes: tuple[str | _Countdown, ...]  # "csrf", "key", or a countdown
    rendered_at: datetime
    expires_at: datetime

    def holds(self, now: datetime) -> bool:
        """Still the page for `now`: not past its expiry, and not rendered later than now (a clock set back)."""
        return self.rendered_at <= now < self.expires_at

    def fill(self, request: HttpRequest, now: datetime) -> SafeString:
        csrf = get_token(request)
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            if isinstance(hole, _Countdown):
                out.append(countdown_html(hole.due, now, hole.done, hole.testid))
            elif hole == "csrf":
                out.append(csrf)
            else:
                out.append(str(uuid.uuid4()))
            out.append(part)
        return mark_safe("".join(out))  # noqa: S308 (rendered by the template engine, escaped there)


@dataclass(frozen=True)
class Rendered:
    """What a page's render returns: its title, its main content, and the instants at which, by the clock alone,
    it would read differently (besides its countdowns, which the recorder notes itself)."""

    title: str
    html: str
    changes_at: Sequence[datetime | None] = ()
    max_age: timedelta = MAX_AGE


def _entry(rendered: Rendered, recorder: _Recorder, now: datetime) -> Entry:
    html = _ONE_TIME_KEY.sub(rf"\g<1>{_KEY_HOLE}\g<2>", rendered.html)
    pieces = _HOLE.split(html)  # text, hole id, text, hole id, ..., text
    holes: list[str | _Countdown] = []
    for name in pieces[1::2]:
        holes.append(name if name in ("csrf", "key") else recorder.holes[int(name)])
    expires_at = expiry(now, rendered.max_age, (*rendered.changes_at, *recorder.instants))
    return Entry(
        title=rendered.title, parts=tuple(pieces[0::2]), holes=tuple(holes), rendered_at=now, expires_at=expires_at
    )


def expiry(
    now: datetime, max_age: timedelta, changes_at: Iterable[datetime | None], zone: tzinfo | None = None
) -> datetime:
    """Until when something rendered at `now` holds: the earliest future instant at which it would read differently
    by the clock alone, the next midnight in `zone` (default: the current time zone), and `max_age` at most."""
    future = [t for t in changes_at if t is not None and t > now]
    return min([now + max_age, _next_local_midnight(now, zone), *future])


def _next_local_midnight(now: datetime, zone: tzinfo | None = None) -> datetime:
    """Dates on the page may read relative to today: a new day, a new render."""
    local = timezone.localtime(now, zone)
    tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return timezone.make_aware(tomorrow.replace(tzinfo=None), local.tzinfo)


def page_key(kind: str, pk: int, version: int | str, request: HttpRequest) -> str:
    """The key of a page: what it shows (`kind`, `pk`), as of `version`, for this user, language and time zone."""
    user_id = request.user.pk
    return f"{kind}:{pk}:{version}:{user_id}:{translation.get_language()}:{timezone.get_current_timezone_name()}"


def versions_digest(versions: Sequence[tuple[int, int]]) -> str:
    """One version for a page that shows several records: their (pk, page version) pairs, hashed."""
    return hashlib.sha256(repr(sorted(versions)).encode()).hexdigest()[:32]


def serve(request: HttpRequest, key: str, render: Callable[[], Rendered]) -> tuple[str, SafeString]:
    """The page's title and main content for `key`: from the cache while its entry holds, else rendered (with
    holes, by `render`) and stored. Either way the holes are filled for this request."""
    cache = caches[CACHE_ALIAS]
    now = timezone.now()
    entry: Entry | None = cache.get(key)
    if entry is None or not entry.holds(now):
        with _record() as recorder:
            rendered = render()
        entry = _entry(rendered, recorder, now)
        cache.set(key, entry, timeout=max(1, int((entry.expires_at - now).total_seconds()) + 1))
    return entry.title, entry.fill(request, now)
