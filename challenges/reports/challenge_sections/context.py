"""What every section of the challenge report reads (Context): the loaded challenge, its report state
(selectors.report_state), the clinic's zone and clock, the names of the people its rows point at, and whether placebo
doses may be shown yet (docs/clinical-sources.md §1.8). It builds no section itself."""

from __future__ import annotations

from challenges.models import Challenge
from challenges.reports import history
from challenges.reports.text import Clock, error_note
from challenges.run import selectors


class Context:
    """What every section needs: the loaded challenge, its report state, the clinic's zone, names of people."""

    def __init__(self, challenge: Challenge) -> None:
        self.challenge = challenge
        self.names = history.people(challenge)  # first: the figures below read people the rows point at
        self.state = selectors.report_state(challenge)
        self.zone = challenge.clinic.tzinfo
        self.unit = challenge.protocol.food.amount_unit
        self.food_label = f"{challenge.protocol.food.name}, {challenge.protocol.food.form}"
        self.valid = [d for d in challenge.doses.all() if not d.entered_in_error]
        self.dose_times = [(d.sequence, d.given_at) for d in self.valid]
        moments = [d.given_at for d in challenge.doses.all()] + [o.observed_at for o in challenge.observations.all()]
        self.clock = Clock(self.zone, challenge.scheduled_at.astimezone(self.zone).date(), moments)
        self.show_placebo = not challenge.blinded or challenge.unblinded_at is not None

    def error(self, record: object) -> str:
        return error_note(record, self.zone, self.names)  # type: ignore[arg-type]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]
