"""Triggers that refuse UPDATE/DELETE on the audit and history tables and DELETE on clinical tables (audit.guards).

History tables are found in this migration's model state (every Historical* model with a history_id); clinical
tables are listed as they were when this was written. Tables added or rebuilt by later migrations are guarded by
the post_migrate handler in audit/apps.py, which runs after every migrate.
"""

from django.db import migrations

from audit import guards

CLINICAL_TABLES = (
    "patients_patient", "patients_trigger", "patients_medication", "challenges_challenge", "challenges_dose",
    "challenges_observation", "challenges_vitalsigns", "challenges_treatment", "challenges_prechallengecheck",
    "challenges_followup", "challenges_challengeevent", "challenges_stopalert", "challenges_steprelease",
)


def _tables(apps):
    tables = {guards.AUDIT_TABLE: guards.APPEND_ONLY}
    for model in apps.get_models():
        if guards.is_history_model(model):
            tables[model._meta.db_table] = guards.APPEND_ONLY
    tables.update((table, guards.NO_DELETE) for table in CLINICAL_TABLES)
    return tables


def add_guards(apps, schema_editor):
    guards.install(schema_editor.connection, _tables(apps))


def remove_guards(apps, schema_editor):
    connection = schema_editor.connection
    wanted = set(_tables(apps))
    guards.drop(connection, [guard for guard in guards.existing(connection) if guard[0] in wanted])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_audit_event"),
        ("patients", "0001_initial"),
        ("challenges", "0004_historicalchallengeevent"),
    ]

    operations = [migrations.RunPython(add_guards, remove_guards)]
