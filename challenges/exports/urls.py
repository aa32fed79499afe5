"""Data exports (mounted at challenges/exports/): FHIR bundles, the home plan calendar and CSV tables."""

from django.urls import path

from challenges.exports import views as exports

urlpatterns = [
    path("<int:pk>/fhir.json", exports.challenge_fhir, name="challenge-fhir"),
    path("patients/<int:patient_pk>/fhir.json", exports.patient_fhir, name="patient-fhir"),
    path("<int:pk>/plan.ics", exports.plan_ics, name="plan-ics"),
    path("patients/<int:patient_pk>/calendar-link/", exports.calendar_link, name="calendar-link"),
    path("calendar/<str:token>/plan.ics", exports.calendar_feed, name="calendar-feed"),
    path("", exports.exports_page, name="exports"),
    path("doses.csv", exports.doses_csv, name="export-doses"),
    path("observations.csv", exports.observations_csv, name="export-observations"),
]
