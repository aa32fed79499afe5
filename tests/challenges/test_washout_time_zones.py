"""Stop-by times across daylight-saving changes and in the challenge's own time zone (clinical.washout)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from clinical.dates import format_when
from clinical.washout import Medication, check_washout
from clinical.washout_rules import DEFAULT_WASHOUT, WashoutError
from tests.challenges.washout_helpers import LONDON, NEW_YORK, START

# --- time zones and DST -----------------------------------------------------------------------------------------


def test_stop_by_is_exact_hours_across_spring_forward():
    # UK clocks go forward on Sun 29 Mar 2026: 7 x 24 h before 09:00 BST is 08:00 GMT.
    start = datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)
    [conflict] = check_washout(
        medications=[Medication("Loratadine", "h1_antihistamine")],
        rules=DEFAULT_WASHOUT,
        challenge_start=start,
        diagnostic=True,
    )
    assert start.astimezone(UTC) - conflict.stop_by.astimezone(UTC) == timedelta(hours=168)
    assert format_when(conflict.stop_by) == "Mon 23 Mar 2026 08:00"
    assert "by Mon 23 Mar 2026 08:00" in conflict.message


def test_stop_by_is_exact_hours_across_fall_back():
    # US clocks go back on Sun 1 Nov 2026: 72 h before Mon 09:00 EST is Fri 10:00 EDT (a finished steroid course).
    start = datetime(2026, 11, 2, 9, 0, tzinfo=NEW_YORK)
    [conflict] = check_washout(
        medications=[Medication("Prednisolone", "systemic_steroid", stopped_on=date(2026, 10, 30))],
        rules=DEFAULT_WASHOUT,
        challenge_start=start,
        diagnostic=True,
    )
    assert start.astimezone(UTC) - conflict.stop_by.astimezone(UTC) == timedelta(hours=72)
    assert format_when(conflict.stop_by) == "Fri 30 Oct 2026 10:00"


def test_stopped_too_late_uses_the_challenge_time_zone():
    # 24 h before Sun 29 Mar 09:00 BST is Sat 28 Mar 08:00 GMT; a last dose on Fri 27 Mar is in time.
    start = datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)
    on_time = Medication("Famotidine", "h2_blocker", stopped_on=date(2026, 3, 27))
    late = Medication("Famotidine", "h2_blocker", stopped_on=date(2026, 3, 28))
    assert check_washout(medications=[on_time], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True) == []
    [conflict] = check_washout(medications=[late], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True)
    assert conflict.kind == "stopped_too_late"


@pytest.mark.parametrize("now", [None, datetime(2026, 3, 1, 9, 0)])  # noqa: DTZ001
def test_naive_times_are_rejected(now):
    start = datetime(2026, 3, 9, 9) if now is None else START  # noqa: DTZ001
    with pytest.raises(WashoutError) as excinfo:
        check_washout(medications=[], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True, now=now)
    assert excinfo.value.code == "naive_datetime"
