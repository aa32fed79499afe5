from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/history/", views.patient_history, name="history"),
    path("<int:pk>/triggers/new/", views.trigger_create, name="trigger-create"),
    path("triggers/<int:pk>/edit/", views.trigger_edit, name="trigger-edit"),
    path("<int:pk>/medications/new/", views.medication_create, name="medication-create"),
    path("medications/<int:pk>/edit/", views.medication_edit, name="medication-edit"),
    path("<int:pk>/test-results/new/", views.diagnostic_create, name="diagnostic-create"),
    path(
        "test-results/<int:pk>/entered-in-error/",
        views.mark_entered_in_error,
        {"kind": "diagnostic"},
        name="diagnostic-error",
    ),
    path("<int:pk>/entered-in-error/", views.mark_entered_in_error, {"kind": "patient"}, name="patient-error"),
    path("triggers/<int:pk>/entered-in-error/", views.mark_entered_in_error, {"kind": "trigger"}, name="trigger-error"),
    path(
        "medications/<int:pk>/entered-in-error/",
        views.mark_entered_in_error,
        {"kind": "medication"},
        name="medication-error",
    ),
]
