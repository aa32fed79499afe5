"""FHIR export: each clinic's MRN identifier system and its own namespace for stable resource ids.

Both are unique per clinic, so existing clinics get their own values (a column default would give them one shared
value): add the columns empty, fill them row by row, then make them required.
"""

import uuid

from django.db import migrations, models

import clinics.models


def fill(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    for clinic in Clinic.objects.all():
        clinic.fhir_namespace = uuid.uuid4()
        clinic.mrn_system = f"urn:uuid:{uuid.uuid4()}"
        clinic.save(update_fields=["fhir_namespace", "mrn_system"])


class Migration(migrations.Migration):
    dependencies = [("clinics", "0007_dbpcfc_can_prepare_blinded")]

    operations = [
        migrations.AddField(model_name="clinic", name="fhir_namespace", field=models.UUIDField(null=True)),
        migrations.AddField(
            model_name="clinic", name="mrn_system", field=models.CharField(max_length=200, default="", blank=True)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="clinic",
            name="fhir_namespace",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="clinic",
            name="mrn_system",
            field=models.CharField(
                default=clinics.models.new_mrn_system,
                help_text=(
                    "The hospital's URI for its medical record numbers (an https URL or urn:oid:…), used in FHIR "
                    "exports so the receiving system matches the patient. The default is a unique urn:uuid of this "
                    "clinic."
                ),
                max_length=200,
                validators=[clinics.models.validate_absolute_uri],
                verbose_name="MRN identifier system (FHIR)",
            ),
        ),
    ]
