"""Data exports: FHIR bundles, the home plan calendar and CSV tables (included at "" in the challenges namespace)."""

from django.urls import path

from challenges.views import exports

urlpatterns = [
    path("<int:pk>/fhir.json", exports.challenge_fhir, name="challenge-fhir"),
    path("patients/<int:patient_pk>/fhir.json", exports.patient_fhir, name="patient-fhir"),
    path("<int:pk>/plan.ics", exports.plan_ics, name="plan-ics"),
    path("export/doses.csv", exports.doses_csv, name="export-doses"),
    path("export/observations.csv", exports.observations_csv, name="export-observations"),
]
