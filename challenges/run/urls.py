"""The challenge run: schedule, the bedside page and its actions, today's board."""

from django.urls import path

from challenges.run import views as run

urlpatterns = [
    path("board/", run.board, name="board"),
    path("board/fragment/", run.board_fragment, name="board_fragment"),
    path("schedule/<int:patient_pk>/", run.schedule, name="schedule"),
    path("<int:pk>/", run.detail, name="detail"),
    path("<int:pk>/keepalive/", run.keepalive, name="keepalive"),
    path("<int:pk>/check-in/", run.check_in, name="check-in"),
    path("<int:pk>/checks/", run.checks, name="checks"),
    path("<int:pk>/checks/override/", run.checks_override, name="checks-override"),
    path("<int:pk>/washout/confirm/", run.washout_confirm, name="washout-confirm"),
    path("<int:pk>/washout/override/", run.washout_override, name="washout-override"),
    path("<int:pk>/washout/decide/", run.medication_decide, name="medication-decide"),
    path("<int:pk>/dose/", run.record_dose, name="dose"),
    path("<int:pk>/food-lot/", run.record_food_lot, name="food-lot"),
    path("<int:pk>/observation/", run.record_observation, name="observation"),
    path("<int:pk>/vitals/", run.record_vitals, name="vitals"),
    path("<int:pk>/treatment/", run.record_treatment, name="treatment"),
    path("<int:pk>/adrenaline/", run.record_adrenaline, name="adrenaline"),
    path("<int:pk>/alerts/<int:alert_pk>/decide/", run.decide, name="decide"),
    path("<int:pk>/stop/", run.stop, name="stop"),
    path("<int:pk>/cancel/", run.cancel, name="cancel"),
    path("<int:pk>/entered-in-error/", run.mark_in_error, name="challenge-error"),
    path("<int:pk>/finish-observation/", run.finish_observation, name="finish-observation"),
    path("<int:pk>/symptoms-resolved/", run.symptoms_resolved, name="symptoms-resolved"),
    path("<int:pk>/neutrophils/", run.neutrophils, name="neutrophils"),
    path("<int:pk>/discharge/", run.discharge, name="discharge"),
    path("<int:pk>/outcome/", run.confirm_outcome, name="outcome"),
    path("<int:pk>/sign/", run.sign, name="sign"),
    path("<int:pk>/blinded-verdict/", run.blinded_verdict, name="blinded-verdict"),
    path("<int:pk>/unblind/", run.unblind, name="unblind"),
    path("<int:pk>/addendum/", run.addendum, name="addendum"),
    path("<int:pk>/dose/<int:record_pk>/entered-in-error/", run.record_error, {"kind": "dose"}, name="dose-error"),
    path(
        "<int:pk>/observation/<int:record_pk>/entered-in-error/",
        run.record_error,
        {"kind": "observation"},
        name="observation-error",
    ),
    path(
        "<int:pk>/vitals/<int:record_pk>/entered-in-error/", run.record_error, {"kind": "vitals"}, name="vitals-error"
    ),
    path(
        "<int:pk>/treatment/<int:record_pk>/entered-in-error/",
        run.record_error,
        {"kind": "treatment"},
        name="treatment-error",
    ),
    path(
        "<int:pk>/washout/<int:record_pk>/entered-in-error/",
        run.record_error,
        {"kind": "washout"},
        name="washout-error",
    ),
]
