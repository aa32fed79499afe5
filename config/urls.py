"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from challenges import views as challenge_views
from clinics import views as clinic_views
from clinics import views_auth

urlpatterns = [
    path("", challenge_views.landing, name="home"),
    path("health/", clinic_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", views_auth.ThrottledPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/changed/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/forgot/", views_auth.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/forgot/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views_auth.UnlockingPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/two-factor/", views_auth.mfa_setup, name="mfa-setup"),
    path("accounts/two-factor/verify/", views_auth.mfa_verify, name="mfa-verify"),
    path("patients/", include("patients.urls")),
    path("challenges/", include("challenges.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
]
