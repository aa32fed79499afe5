"""PDF downloads (mounted at challenges/reports/)."""

from django.urls import path

from challenges.reports import views as reports

urlpatterns = [
    path("<int:pk>/report.pdf", reports.challenge_report, name="report"),
    path("<int:pk>/preparation-sheet.pdf", reports.preparation_sheet, name="preparation-sheet"),
    path("<int:pk>/blinded-key.pdf", reports.blinded_key, name="blinded-key"),
    path("<int:pk>/home-plan.pdf", reports.home_plan, name="home-plan-pdf"),
    path("patients/<int:patient_pk>/summary.pdf", reports.patient_summary, name="patient-summary"),
]
