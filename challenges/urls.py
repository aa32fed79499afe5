from django.urls import include, path

app_name = "challenges"

urlpatterns = [
    path("library/", include("challenges.urls_library")),
    path("", include("challenges.urls_run")),
    path("", include("challenges.urls_home")),
    path("", include("challenges.urls_exports")),
    path("", include("challenges.urls_reports")),
]
