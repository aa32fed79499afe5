"""What the "Change the plan" page posts: its rows (a formset) and the reason."""

from __future__ import annotations

from collections.abc import Sequence


def plan_change_data(rows: Sequence[tuple[str, str, str]], *, reason: str) -> dict[str, str]:
    """Rows of (amount, unit, days to wait after it), e.g. ("12.5", "g", "4"), typed as new rows."""
    data = {
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "reason": reason,
    }
    for index, (amount, unit, days) in enumerate(rows):
        data.update(
            {
                f"steps-{index}-amount": amount,
                f"steps-{index}-unit": unit,
                f"steps-{index}-wait": days,
                f"steps-{index}-wait_unit": "d",
            }
        )
    return data
