"""The challenge run: schedule, the bedside page and its actions, today's board."""

from django.urls import path

from challenges.run.views import board, booking, corrections, dosing, ending, findings, page, prechallenge

urlpatterns = [
    path("board/", board.board, name="board"),
    path("board/fragment/", board.board_fragment, name="board_fragment"),
    path("schedule/<int:patient_pk>/", booking.schedule, name="schedule"),
    path("<int:pk>/", page.detail, name="detail"),
    path("<int:pk>/keepalive/", page.keepalive, name="keepalive"),
    path("<int:pk>/check-in/", prechallenge.check_in, name="check-in"),
    path("<int:pk>/checks/", prechallenge.checks, name="checks"),
    path("<int:pk>/checks/override/", prechallenge.checks_override, name="checks-override"),
    path("<int:pk>/washout/confirm/", prechallenge.washout_confirm, name="washout-confirm"),
    path("<int:pk>/washout/override/", prechallenge.washout_override, name="washout-override"),
    path("<int:pk>/washout/decide/", prechallenge.medication_decide, name="medication-decide"),
    path("<int:pk>/dose/", dosing.record_dose, name="dose"),
    path("<int:pk>/food-lot/", dosing.record_food_lot, name="food-lot"),
    path("<int:pk>/observation/", findings.record_observation, name="observation"),
    path("<int:pk>/vitals/", findings.record_vitals, name="vitals"),
    path("<int:pk>/treatment/", findings.record_treatment, name="treatment"),
    path("<int:pk>/adrenaline/", findings.record_adrenaline, name="adrenaline"),
    path("<int:pk>/alerts/<int:alert_pk>/decide/", findings.decide, name="decide"),
    path("<int:pk>/stop/", ending.stop, name="stop"),
    path("<int:pk>/cancel/", corrections.cancel, name="cancel"),
    path("<int:pk>/entered-in-error/", corrections.mark_in_error, name="challenge-error"),
    path("<int:pk>/finish-observation/", ending.finish_observation, name="finish-observation"),
    path("<int:pk>/symptoms-resolved/", ending.symptoms_resolved, name="symptoms-resolved"),
    path("<int:pk>/neutrophils/", ending.neutrophils, name="neutrophils"),
    path("<int:pk>/discharge/", ending.discharge, name="discharge"),
    path("<int:pk>/outcome/", ending.confirm_outcome, name="outcome"),
    path("<int:pk>/sign/", ending.sign, name="sign"),
    path("<int:pk>/blinded-verdict/", ending.blinded_verdict, name="blinded-verdict"),
    path("<int:pk>/unblind/", ending.unblind, name="unblind"),
    path("<int:pk>/addendum/", corrections.addendum, name="addendum"),
    path(
        "<int:pk>/dose/<int:record_pk>/entered-in-error/", corrections.record_error, {"kind": "dose"}, name="dose-error"
    ),
    path(
        "<int:pk>/observation/<int:record_pk>/entered-in-error/",
        corrections.record_error,
        {"kind": "observation"},
        name="observation-error",
    ),
    path(
        "<int:pk>/vitals/<int:record_pk>/entered-in-error/",
        corrections.record_error,
        {"kind": "vitals"},
        name="vitals-error",
    ),
    path(
        "<int:pk>/treatment/<int:record_pk>/entered-in-error/",
        corrections.record_error,
        {"kind": "treatment"},
        name="treatment-error",
    ),
    path(
        "<int:pk>/washout/<int:record_pk>/entered-in-error/",
        corrections.record_error,
        {"kind": "washout"},
        name="washout-error",
    ),
]
