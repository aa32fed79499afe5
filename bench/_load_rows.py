"""server_load's bench rows, made with the ORM before the server starts: protocols, checked-in challenges, users
and their session cookies for the dose, overhead and clinic parts, and each dose client's queue of challenges."""

from __future__ import annotations

import uuid
from typing import Any

from bench._load_http import HOST

DOSE_CLIENTS = 50
DOSE_STEPS = 12  # steps of each dose client's challenges
DOSE_QUEUE = 8  # challenges per dose client: 96 doses each, more than any run here reaches
NURSES, PATIENTS = 30, 20


def _protocol(name: str, *, base: str, steps: int, interval: int, clinic: Any) -> Any:
    from decimal import Decimal

    from challenges.models import Protocol, ProtocolStep

    source = Protocol.objects.get(clinic=None, name=base, is_current=True)
    protocol = Protocol.objects.create(
        name=name,
        kind=source.kind,
        food=source.food,
        clinic=clinic,
        dose_basis=source.dose_basis,
        checklist_items=source.checklist_items,
        stop_rules=source.stop_rules,
        observation_minutes=source.observation_minutes,
        watch_hours=0,
        follow_up_hours=[],
    )
    amount = {"protein_mg": Decimal("1")} if source.dose_basis == "protein" else {"food_amount": Decimal("0.5")}
    ProtocolStep.objects.bulk_create(
        [ProtocolStep(protocol=protocol, number=n, interval_minutes=interval, **amount) for n in range(1, steps + 1)]
    )
    return protocol


def _challenge(patient: Any, protocol: Any, allergist: Any, nurse: Any, *, checked_in: bool) -> Any:
    from django.utils import timezone

    from challenges.models import Challenge, PreChallengeCheck
    from clinical.kinds import KINDS

    challenge = Challenge.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=protocol,
        setting=KINDS[protocol.kind].setting,
        scheduled_at=timezone.now() - timezone.timedelta(minutes=20),
        allergist=allergist,
        nurse=nurse,
        status="checked_in" if checked_in else "planned",
        indication="[bench-load]",
    )
    if checked_in:
        PreChallengeCheck.objects.create(
            challenge=challenge, recorded_by=nurse or allergist, **dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)
        )
    return challenge


def _session(user: Any) -> str:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return client.cookies["sessionid"].value


def _board_url() -> dict[str, str]:
    """The board's auto-refresh fragment (issue 14) if the app has it, else the whole board page."""
    from django.urls import NoReverseMatch, reverse

    try:
        return {"board_url": reverse("challenges:board_fragment"), "board_what": "board fragment"}
    except NoReverseMatch:
        return {"board_url": reverse("challenges:board"), "board_what": "full board page (no board_fragment URL)"}


def setup_rows(*, dose_clients: bool = True) -> dict[str, Any]:
    """Users, sessions and challenges for the three parts; returns what the clients need (ids, cookies, URLs).
    Without `dose_clients` (the pages-only runs), none of the dose clients' 400 challenges, which are in a clinic of
    their own and on no page measured: they were about 10 s of each pages-only run."""
    from datetime import date

    from django.urls import reverse

    from challenges.models import Challenge
    from clinical.text import fold
    from clinics.models import Clinic, Role, User
    from patients.models import Patient

    clinic = Clinic.objects.get(name="Northside Allergy Clinic")
    tag = uuid.uuid4().hex[:6]
    # The dose run has a clinic of its own: 50 challenges dosing at once would not be Northside's board.
    dose_clinic = Clinic.objects.create(name=f"Bench dose clinic {tag}", time_zone=clinic.time_zone)
    dose_allergist = User.objects.create(
        username=f"bench-allergist-d{tag}", role=Role.ALLERGIST, clinic=dose_clinic, password="!"
    )
    allergist = User.objects.create(username=f"bench-allergist-{tag}", role=Role.ALLERGIST, clinic=clinic, password="!")
    # A protocol of a usual length (the standard library's longest has 10 steps), with waits, so every dose after
    # the first is given early on the allergist's override. Each client works through a queue of such challenges,
    # moving to the next when all its steps are given (until 29 Nov 2026 it was one 200-step challenge per client:
    # every post then loaded 200 steps and up to 200 earlier doses, which no real challenge has).
    waits = _protocol(
        f"Bench {DOSE_STEPS} steps {tag}",
        base="PRACTALL 7-step peanut OFC",
        steps=DOSE_STEPS,
        interval=30,
        clinic=dose_clinic,
    )
    no_wait = _protocol(f"Bench no wait {tag}", base="PRACTALL 7-step peanut OFC", steps=12, interval=0, clinic=clinic)
    home = _protocol(
        f"Bench home {tag}", base="MCAS slow home reintroduction: cheesecake", steps=12, interval=0, clinic=clinic
    )

    def patient(n: int, kind: str, user: Any = None, where: Any = clinic) -> Any:
        given, family, mrn = "Bench", f"Load{kind}{n}", f"BENCH-{tag}-{kind}-{n}"
        return Patient.objects.create(
            clinic=where,
            mrn=mrn,
            given_name=given,
            family_name=family,
            user=user,
            date_of_birth=date(1990, 1, 1),
            search_text=fold(f"{given} {family} {mrn}"),
        )

    doses = []
    for n in range(DOSE_CLIENTS if dose_clients else 0):
        queue = [
            _challenge(patient(n * 100 + m, "d", where=dose_clinic), waits, dose_allergist, None, checked_in=True).pk
            for m in range(DOSE_QUEUE)
        ]
        doses.append(DoseQueue.make(queue, _session(dose_allergist)))
    nurses = []
    for n in range(NURSES):
        nurse = User.objects.create(username=f"bench-nurse-{tag}-{n}", role=Role.NURSE, clinic=clinic, password="!")
        person = patient(n, "n")
        challenge = _challenge(person, no_wait, allergist, nurse, checked_in=True)
        nurses.append({"challenge": challenge.pk, "patient": person.pk, "cookie": _session(nurse)})
    patients = []
    for n in range(PATIENTS):
        user = User.objects.create(username=f"bench-patient-{tag}-{n}", role=Role.PATIENT, clinic=clinic, password="!")
        challenge = _challenge(patient(n, "p", user), home, allergist, None, checked_in=False)
        patients.append({"challenge": challenge.pk, "cookie": _session(user)})
    nurse = User.objects.get(username="nurse")
    demo = Challenge.objects.get(indication__startswith="[demo-dosing]")
    return {
        "zone": clinic.time_zone,
        "dose_clients": doses,
        "nurses": nurses,
        "patients": patients,
        "overhead_cookie": _session(nurse),
        "challenge_url": reverse("challenges:detail", args=[demo.pk]),
        "patient_url": reverse("patients:detail", args=[demo.patient_id]),
        **_board_url(),
        "checklist": no_wait.checklist_items,
        "search_words": ["rahman", "smith", "bench", "okafor", "ngu"],
    }


class DoseQueue:
    """One dose client's challenges, all of DOSE_STEPS steps, taken in turn: the next once every step of the current
    one is acknowledged. Kept on the client's spec, so a later run (the 50-client run after the 16-client one) goes on
    where the last one stopped instead of posting to a finished challenge."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        spec.setdefault("given", {})

    @staticmethod
    def make(challenges: list[int], cookie: str) -> dict[str, Any]:
        return {"challenge": challenges[0], "queue": list(challenges), "challenges": list(challenges), "cookie": cookie}

    def current(self) -> int | None:
        """The challenge to dose now, or None when every challenge of the queue is done."""
        queue, given = self.spec["queue"], self.spec["given"]
        while queue and given.get(queue[0], 0) >= DOSE_STEPS:
            queue.pop(0)
        return queue[0] if queue else None

    def acknowledged(self, pk: int) -> None:
        self.spec["given"][pk] = self.spec["given"].get(pk, 0) + 1
