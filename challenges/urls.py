from django.urls import include, path

app_name = "challenges"

urlpatterns = [
    path("", include("challenges.urls_run")),
    path("", include("challenges.urls_home")),
]
