from django.urls import path

app_name = "challenges"

urlpatterns: list = []
