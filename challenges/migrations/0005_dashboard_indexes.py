"""Indexes for the clinic's dashboards (bench/README.md): the challenges running now, for today's board; the check-ins
not done yet and the symptoms of the last 72 h, for the home-plan attention page."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0004_historicalchallengeevent"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="challenge",
            index=models.Index(fields=["clinic", "status"], name="challenges_clinic_status_idx"),
        ),
        migrations.AddIndex(
            model_name="observation",
            index=models.Index(fields=["observed_at"], name="challenges_observation_at_idx"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["done_at", "due_at"], name="challenges_followup_due_idx"),
        ),
    ]
