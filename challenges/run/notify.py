"""Emails about home plans: the clinic is told when a plan pauses, the patient when the clinic decides (issue 17).

Sent through Django's email backend (SMTP in production, the console under `make run`), after the write commits:
a clinical record is never lost, or rolled back, because the mail server is down; a failure is logged. The emails
carry no clinical detail (an email is not a secure channel): they say that something needs looking at and link to
the page, which asks for a sign-in.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from challenges.run.models import Challenge, Setting

logger = logging.getLogger(__name__)


def plan_paused(challenge: Challenge) -> None:
    """After commit: email the clinic's address that a home plan has paused (nothing when it has none)."""
    address = challenge.clinic.email
    if challenge.setting != Setting.HOME or not address:
        return
    link = settings.STEPWISE_SITE_URL + reverse("challenges:detail", args=[challenge.pk])
    subject = _("Stepwise: a home plan has paused (patient %(mrn)s)") % {"mrn": challenge.patient.mrn}
    body = _(
        "A home plan has paused: the symptoms a patient recorded met a stop rule.\n\n"
        "Patient record number: %(mrn)s\nPlan: %(link)s\n\n"
        "The patient has been told not to take the next step until the clinic decides."
    ) % {"mrn": challenge.patient.mrn, "link": link}
    _after_commit(subject, body, address, what=f"pause of challenge {challenge.pk}")


def clinic_decided(challenge: Challenge) -> None:
    """After commit: email the patient that their clinic has a message about their plan (when they have an address)."""
    user = challenge.patient.user
    if challenge.setting != Setting.HOME or user is None or not user.email:
        return
    link = settings.STEPWISE_SITE_URL + reverse("challenges:home-plan", args=[challenge.pk])
    subject = _("Stepwise: a message from %(clinic)s about your plan") % {"clinic": challenge.clinic.name}
    body = _(
        "Your clinic has looked at your plan and left you a message, with what to do next.\n\n"
        "Read it here (you will be asked to sign in): %(link)s\n\n"
        "If you are worried, call %(clinic)s on %(phone)s. In an emergency, call emergency services."
    ) % {"link": link, "clinic": challenge.clinic.name, "phone": challenge.clinic.phone or "-"}
    _after_commit(subject, body, user.email, what=f"decision on challenge {challenge.pk}")


def _after_commit(subject: str, body: str, to: str, *, what: str) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, None, [to])
        except Exception:  # any backend failure (SMTP down, refused, timeout): the record stands; log it
            logger.exception("Email about %s to the clinic or patient was not sent", what)

    transaction.on_commit(send)
