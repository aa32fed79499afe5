"""Reads of a challenge, gathered once per page: the plan, what was given, the computed figures, what is next.

Everything is loaded with a fixed number of queries (prefetch), then turned into domain values by
challenges.run.facts and the pure clinical modules.

The reads live in one module per concern: queries (what each page loads, in a fixed number of queries), state
(the figures of one challenge: ReportState and RunState), today (today's board) and booking (the scheduling
form's medication check). Callers use the surface below: `from challenges.run import selectors`, then
`selectors.run_state(...)`. A test that replaces a read replaces it in the module that calls it, not here.
"""

from challenges.run.selectors.booking import BookingCheck, booking_check, moved_booking_seen
from challenges.run.selectors.queries import (
    LINKED_FIELDS,
    PageVersion,
    dose_staff,
    page_version,
    with_board_data,
    with_continued,
    with_report_data,
    with_run_data,
)
from challenges.run.selectors.state import (
    DoseLine,
    ObservationState,
    ReportState,
    RunState,
    observation_state,
    report_state,
    run_state,
)
from challenges.run.selectors.today import (
    BEFORE_DOSING,
    BOARD_RUNNING,
    OVERRIDE_CODES,
    BoardCounts,
    BoardRow,
    bedside_open,
    board,
    board_challenges,
    board_counts,
    board_row,
    board_versions,
)

__all__ = [
    "BEFORE_DOSING",
    "BOARD_RUNNING",
    "LINKED_FIELDS",
    "OVERRIDE_CODES",
    "BoardCounts",
    "BoardRow",
    "BookingCheck",
    "DoseLine",
    "ObservationState",
    "PageVersion",
    "ReportState",
    "RunState",
    "bedside_open",
    "board",
    "board_challenges",
    "board_counts",
    "board_row",
    "board_versions",
    "booking_check",
    "dose_staff",
    "moved_booking_seen",
    "observation_state",
    "page_version",
    "report_state",
    "run_state",
    "with_board_data",
    "with_continued",
    "with_report_data",
    "with_run_data",
]
