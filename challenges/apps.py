from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"
    verbose_name = "Food challenges"

    def ready(self) -> None:
        from challenges.run import page_version

        page_version.connect()
