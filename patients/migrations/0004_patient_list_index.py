"""The patient list's index now holds what its search reads, so a search scans the index and never sorts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_limit_free_text"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="patient", name="patients_pa_clinic__a68b85_idx"),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["clinic", "family_name", "given_name", "mrn", "entered_in_error", "search_text"],
                name="patients_patient_list_idx",
            ),
        ),
    ]
