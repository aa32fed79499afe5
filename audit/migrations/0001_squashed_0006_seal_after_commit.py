"""The audit migrations 0001_audit_event to 0006_seal_after_commit, squashed into one.

So a new database is built in a fraction of the time: Django re-renders models for every operation, and the old
migrations had 11 operations here.
A database that has applied the old ones carries on from them; a new one runs this one instead. Made from the
state the old migrations end in, for the same schema on SQLite and PostgreSQL, down to column order and
constraint names (docs/architecture.md, "Migrations"):

- each model is created with its fields in the order the old migrations left them;
- after a model's CreateModel come the few operations that made the old tables what they are beyond that: an
  AlterField from the field's previous definition (SQLite rebuilds the table for it and puts the column last, where
  the old migrations left it; PostgreSQL keeps its place), then the nullable fields added after it (ALTER TABLE ADD
  COLUMN, last on both).

Then, from the old migrations (copied here so the old files can be deleted later):
- 0002: the append-only and no-delete triggers (audit.guards);
- 0006: PostgreSQL, the chain head function, the version that skips unsealed rows. 0004 created its first
  version, which 0006 replaced with CREATE OR REPLACE; 0006's seal-once guard is what 0002's install now makes.
Elided: 0003's `adopt` (history rows written before the audit app existed, put into the chain): it only reads
existing rows, and a new database has none.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from audit import guards

# 0002: the tables guarded by triggers: the audit table and every history table (append-only), and the clinical
# tables as they were listed then (no delete). The post_migrate handler in audit/apps.py guards any other.
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


# 0006: PostgreSQL, one function that takes the chain's lock and reads its head (sealed rows only) with a fresh
# snapshot (audit.services._chain_head). SQLite needs nothing.
HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION sw_audit_chain_head(lock_key bigint)
RETURNS TABLE (head_seq bigint, head_hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_auditevent e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


def create_head_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_FUNCTION)


def drop_head_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS sw_audit_chain_head(bigint)")


class Migration(migrations.Migration):

    replaces = [('audit', '0001_audit_event'), ('audit', '0002_append_only_guards'), ('audit', '0003_chain_existing_history'), ('audit', '0004_chain_head_function'), ('audit', '0005_admin_change_actions'), ('audit', '0006_seal_after_commit')]

    initial = True

    dependencies = [
        ('challenges', '0004_historicalchallengeevent'),
        ('clinics', '0001_initial'),
        ('clinics', '0007_dbpcfc_can_prepare_blinded'),
        ('patients', '0001_initial'),
        ('patients', '0006_text_caps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(editable=False, unique=True)),
                ('at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('username', models.CharField(blank=True, max_length=150)),
                ('action', models.CharField(choices=[('chart.view', 'Chart opened'), ('chart.history', 'Chart history opened'), ('pdf.download', 'PDF downloaded'), ('export.download', 'Data exported'), ('login', 'Signed in'), ('logout', 'Signed out'), ('login.failed', 'Sign-in failed'), ('lockout', 'Locked out'), ('record.change', 'Record changed'), ('access.change', 'Access rights changed (admin)'), ('settings.change', 'Clinic settings changed (admin)')], max_length=40)),
                ('object_type', models.CharField(blank=True, max_length=100)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('ip', models.CharField(blank=True, max_length=45, verbose_name='IP address')),
                ('user_agent', models.CharField(blank=True, max_length=300)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('previous_hash', models.CharField(editable=False, max_length=64, null=True, unique=True)),
                ('hash', models.CharField(editable=False, max_length=64, null=True, unique=True)),
                ('clinic', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinics.clinic')),
                ('patient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='patients.patient')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sealed_at', models.DateTimeField(editable=False, null=True)),
            ],
            options={
                'ordering': ['-seq'],
                'indexes': [models.Index(fields=['clinic', '-seq'], name='audit_event_clinic_seq'), models.Index(fields=['patient', '-seq'], name='audit_event_patient_seq'), models.Index(condition=models.Q(('hash__isnull', True)), fields=['id'], name='audit_event_unsealed')],
            },
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(add_guards, remove_guards),
        migrations.RunPython(create_head_function, drop_head_function),
    ]
