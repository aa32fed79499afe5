"""The challenges namespace: one URL module per slice, each under its own prefix."""

from django.urls import include, path

app_name = "challenges"

urlpatterns = [
    path("library/", include("challenges.library.urls")),
    path("reports/", include("challenges.reports.urls")),
    path("exports/", include("challenges.exports.urls")),
    path("outcomes/", include("challenges.outcomes.urls")),
    # A challenge's own pages (the bedside run, its home plan) hang off its id.
    path("", include("challenges.run.urls")),
    path("", include("challenges.home.urls")),
]
