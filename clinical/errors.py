"""The one error type for a clinical or workflow rule that refuses an input or an action."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `message` is for people; `code` is stable, for views (which turn it into a 4xx page or a
    form error) and for tests (which assert on it, never on the wording)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message, self.code = str(message), code
