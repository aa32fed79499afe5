"""Home reintroduction: the patient's plan and the clinic's actions on it; follow-up check-ins."""

from django.urls import path

from challenges.home import views as home

urlpatterns = [
    path("home/attention/", home.attention, name="home-attention"),
    path("<int:pk>/plan/", home.home_plan, name="home-plan"),
    path("<int:pk>/plan/premedication/", home.premedication, name="home-premedication"),
    path("<int:pk>/plan/step/", home.take_step, name="home-step"),
    path("<int:pk>/plan/symptom/", home.symptom, name="home-symptom"),
    path("<int:pk>/plan/usual-symptoms/", home.usual_symptoms, name="home-usual"),
    path("<int:pk>/plan/symptom/<int:observation_pk>/correct/", home.correct_symptom, name="home-correct"),
    path("<int:pk>/plan/<str:kind>/<int:record_pk>/withdraw/", home.withdraw, name="home-withdraw"),
    path("<int:pk>/plan/release/", home.release, name="home-release"),
    path("<int:pk>/plan/change/", home.change_plan, name="home-change"),
    path("<int:pk>/follow-ups/<int:follow_up_pk>/", home.follow_up, name="follow-up"),
]
