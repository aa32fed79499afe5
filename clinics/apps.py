from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = "Clinics and people"

    def ready(self) -> None:
        # Sign-in signal receivers: login time (absolute session limit) and two-factor enrolment.
        from clinics import auth, mfa  # noqa: F401
