from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Food challenges"

    def ready(self) -> None:
        from challenges import page_version

        page_version.connect()
