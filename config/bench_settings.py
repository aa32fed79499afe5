"""Settings for the bench scripts (bench/common.py) only: production settings with the plain static-files storage.

The bench serves pages with DEBUG off over plain HTTP and never runs collectstatic (no static file is requested),
so {% static %} must not need the collectstatic manifest that production's storage reads. Nothing else changes.
"""

from config.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

ROOT_URLCONF = "config.bench_urls"  # the app's URLs plus the bench floors (bench/floor_views.py)
