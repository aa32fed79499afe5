"""URLs for the bench only (config.bench_settings): the app's URLs plus the two floors of bench/floor_views.py."""

from django.urls import path

from bench import floor_views
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    *app_urlpatterns,
    path("bench/plain/", floor_views.plain, name="bench-plain"),
    path("bench/insert/", floor_views.insert, name="bench-insert"),
]
