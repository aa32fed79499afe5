from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = "Clinics and people"

    def ready(self) -> None:
        # Sign-in signal receivers: login time (absolute session limit) and two-factor enrolment.
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from clinics import auth, mfa  # noqa: F401

        # The sign-in time without a history row per sign-in (User keeps history of who may do what).
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(auth.stamp_last_login, dispatch_uid="stepwise-last-login")
        post_migrate.connect(start_user_history, sender=self, dispatch_uid="clinics.start_user_history")


def start_user_history(**kwargs: Any) -> None:
    """Accounts made before User kept history get their first (chained) history row, once, after migrate."""
    from clinics.models import User

    for user in User.objects.exclude(pk__in=User.history.values("id")):
        user._change_reason = "history started"  # type: ignore[attr-defined]
        user.save()
