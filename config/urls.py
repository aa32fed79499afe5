"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinics import views as clinic_views

urlpatterns = [
    path("", clinic_views.home, name="home"),
    path("health/", clinic_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", include("patients.urls")),
    path("challenges/", include("challenges.urls")),
    path("admin/", admin.site.urls),
]
