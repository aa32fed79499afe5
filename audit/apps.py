from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import signals

        if "axes" in settings.INSTALLED_APPS:
            from axes.signals import user_locked_out

            user_locked_out.connect(signals.log_lockout, dispatch_uid="audit.lockout")
        # After every migrate (and test flush), guard any history or clinical table that has no trigger yet,
        # e.g. one a later migration created or rebuilt.
        post_migrate.connect(install_guards, sender=self, dispatch_uid="audit.install_guards")


def install_guards(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from audit import guards

    guards.install_for_registry(connections[using])
