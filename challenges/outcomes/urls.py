"""A clinic's outcomes (mounted at challenges/outcomes/): the page, its PDF and CSV, eliciting doses, research CSV."""

from django.urls import path

from challenges.outcomes import views as outcomes

urlpatterns = [
    path("", outcomes.outcomes, name="outcomes"),
    path("outcomes.pdf", outcomes.outcomes_pdf, name="outcomes-pdf"),
    path("outcomes.csv", outcomes.outcomes_csv, name="outcomes-csv"),
    path("eliciting-doses/", outcomes.eliciting_doses, name="eliciting-doses"),
    path("thresholds-deidentified.csv", outcomes.research_csv, name="outcomes-research-csv"),
]
