"""Today's board: the clinic's challenges with their state, served from the page cache."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from challenges.run import selectors
from clinical import countdown
from clinics import page_cache
from clinics.access import require_clinic_staff
from clinics.auth import mark_passive
from clinics.http import AuthenticatedHttpRequest


def _board_rows(request: AuthenticatedHttpRequest) -> str:
    """The board's counts and rows, rendered once per board version (the page versions of its challenges) and
    served from the page cache (clinics.page_cache), countdowns filled per request."""
    require_clinic_staff(request.user)
    today = timezone.localdate()
    version = page_cache.versions_digest(selectors.board_versions(request.user, today))

    def fresh() -> page_cache.Rendered:
        rows, counts = selectors.board(request.user, today)
        html = render_to_string("challenges/includes/_board_fragment.html", {"rows": rows, "counts": counts}, request)
        return page_cache.Rendered(
            title="",
            html=html,
            # a dose becoming overdue (the count), an observation ending, a booked start coming (the washout)
            changes_at=[
                moment
                for row in rows
                for moment in (
                    row.due_at + countdown.DUE_NOW_FOR if row.due_at else None,
                    row.observation.period.ends_at if row.observation else None,
                    row.challenge.scheduled_at,
                )
            ],
            max_age=page_cache.BEFORE_START_MAX_AGE
            if any(timezone.now() < row.challenge.scheduled_at for row in rows)
            else page_cache.MAX_AGE,
        )

    _title, html = page_cache.serve(request, page_cache.page_key("board", today.toordinal(), version, request), fresh)
    return html


def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's clinic challenges with their state, next-dose time and waiting alerts; it refreshes itself."""
    context = {
        "board_rows": _board_rows(request),
        "today": timezone.localdate(),
        "poll_seconds": settings.STEPWISE_BOARD_POLL_SECONDS,
    }
    return render(request, "challenges/board.html", context)


def board_fragment(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The board's counts and rows alone, fetched by static/stepwise/board.js every poll. A screen left on the
    board is not activity: the refresh does not keep the session alive (clinics.auth.mark_passive)."""
    mark_passive(request)
    return HttpResponse(_board_rows(request))
