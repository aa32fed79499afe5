"""URLs for the bench only (config.bench_settings): the app's URLs plus bench/floor_views.py's floors and worker id."""

from django.urls import path

from bench import floor_views
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    *app_urlpatterns,
    path("bench/plain/", floor_views.plain, name="bench-plain"),
    path("bench/insert/", floor_views.insert, name="bench-insert"),
    path("bench/worker/", floor_views.worker, name="bench-worker"),
]
