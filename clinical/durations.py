"""How long something lasts, as text: one wording for every page, PDF, message and calendar entry.

For clinicians (`format_duration`): every unit that is not zero, largest first, from days down to seconds:
"45 s", "12 min 30 s", "45 min", "2 h", "2 h 30 min", "1 day 3 h", "1 day 30 min", "3 days"; nothing is "0 min".
Never a decimal ("1.5 h"), never a form that could be read as a clock time ("1:30"), and nothing is dropped:
"1 day 3 h 20 min" says all of it. A duration is rounded up to the whole second, so a time just past a limit never
reads as the limit itself (5 min 0.4 s after the first symptom is past WAO's 5 min, and reads "5 min 1 s").

For patients (`plain_duration`): the same parts in words, "1 hour 30 minutes", "2 days", because "h" and "min"
are clinic shorthand.
"""

from __future__ import annotations

from datetime import timedelta

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# (size, singular, plural); clinic shorthand has no plural for h, min and s.
_SHORT = ((DAY, "day", "days"), (HOUR, "h", "h"), (MINUTE, "min", "min"), (SECOND, "s", "s"))
_WORDS = ((DAY, "day", "days"), (HOUR, "hour", "hours"), (MINUTE, "minute", "minutes"), (SECOND, "second", "seconds"))


def format_duration(value: timedelta) -> str:
    """'2 h 30 min', '1 day 3 h', '12 min 30 s'; '0 min' for nothing."""
    return " ".join(_parts(value, _SHORT)) or "0 min"


def plain_duration(value: timedelta) -> str:
    """'1 hour 30 minutes', '2 days': the same parts as format_duration, in words a patient reads without decoding."""
    return " ".join(_parts(value, _WORDS)) or "0 minutes"


def format_minutes(minutes: int) -> str:
    """A whole number of minutes (a protocol's wait or observation): format_minutes(150) == '2 h 30 min'."""
    return format_duration(timedelta(minutes=_whole(minutes, "minutes")))


def format_hours(hours: int) -> str:
    """A whole number of hours (a wash-out, a watch window): format_hours(36) == '1 day 12 h'."""
    return format_duration(timedelta(hours=_whole(hours, "hours")))


def _whole(count: int, unit: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"{unit} must be a whole number, not {count!r}.")
    return count


def _parts(value: timedelta, names: tuple[tuple[timedelta, str, str], ...]) -> list[str]:
    """The non-zero units of `value`, rounded up to the second, each as '<count> <name>'."""
    if value < timedelta(0):
        raise ValueError(f"A duration cannot be negative ({value}).")
    remaining = -(-value // SECOND) * SECOND  # round up to a whole second, in integer arithmetic
    parts = []
    for size, one, many in names:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count:,} {one if count == 1 else many}")
    return parts
