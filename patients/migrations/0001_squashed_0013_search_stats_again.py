"""The patients migrations 0001_initial to 0013_search_stats_again, squashed into one.

So a new database is built in a fraction of the time: Django re-renders models for every operation, and the old
migrations had 37 operations here.
A database that has applied the old ones carries on from them; a new one runs this one instead. Made from the
state the old migrations end in, for the same schema on SQLite and PostgreSQL, down to column order and
constraint names (docs/architecture.md, "Migrations"):

- each model is created with its fields in the order the old migrations left them;
- after a model's CreateModel come the few operations that made the old tables what they are beyond that: an
  AlterField from the field's previous definition (SQLite rebuilds the table for it and puts the column last, where
  the old migrations left it; PostgreSQL keeps its place), then the nullable fields added after it (ALTER TABLE ADD
  COLUMN, last on both).

Then, from the old migrations, as they were (copied here so the old files can be deleted later):
- 0007: PostgreSQL, the trigram index on the search text;
- 0009: SQLite, the FTS5 search table and its triggers;
- 0010: SQLite, the query planner's statistics for the patient table.
0012 and 0013 are not repeated: they put back 0009's triggers and 0010's statistics after 0011 rebuilt
`patients_patient` on SQLite, and here nothing rebuilds it after them. Any later migration that rebuilds it must
do the same again (see 0012).
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

import warnings

from django.db import DatabaseError, transaction

# 0007: PostgreSQL, a trigram index on the folded search text (see 0007 for when pg_trgm cannot be created).
TRIGRAM_INDEX = "patients_patient_search_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        warnings.warn(f"pg_trgm is not available ({exc}); patient search has no trigram index", stacklevel=1)
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON patients_patient USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


# 0009: SQLite, an FTS5 trigram table over the folded search text, kept in step with patients_patient by triggers.
FTS_TABLE = "patients_patient_search"
FTS_TRIGGERS = {
    f"{FTS_TABLE}_insert": (
        f"AFTER INSERT ON patients_patient BEGIN "
        f"INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    f"{FTS_TABLE}_update": (
        f"AFTER UPDATE OF search_text ON patients_patient BEGIN "
        f"UPDATE {FTS_TABLE} SET search_text = new.search_text WHERE rowid = old.id; END"
    ),
    f"{FTS_TABLE}_delete": f"AFTER DELETE ON patients_patient BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
}


def create_search_table(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_text, tokenize = 'trigram case_sensitive 1')"
            )
    except DatabaseError as exc:
        warnings.warn(f"SQLite has no FTS5 trigram tokenizer ({exc}); patient search keeps LIKE", stacklevel=1)
        return
    for name, body in FTS_TRIGGERS.items():
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")
    schema_editor.execute(f"INSERT INTO {FTS_TABLE} (rowid, search_text) SELECT id, search_text FROM patients_patient")


def drop_search_table(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in FTS_TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


# 0010: SQLite, written statistics (1,000 patients per clinic) for each index led by clinic_id, so a search starts
# from the FTS5 matches; measured figures replace them at the next ANALYZE.
STATS_TABLE = "patients_patient"
PER_CLINIC = 1000


def write_search_stats(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {STATS_TABLE}")  # creates sqlite_stat1; measures the table if it has rows
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = %s", [STATS_TABLE])
        measured = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"PRAGMA index_list({STATS_TABLE})")
        for _seq, index, unique, *_rest in cursor.fetchall():
            cursor.execute(f'PRAGMA index_info("{index}")')
            columns = [row[2] for row in sorted(cursor.fetchall())]
            if index in measured or not columns or columns[0] != "clinic_id":
                continue
            # rows in the table, rows per clinic, then each further column narrows it (10, then 1; a unique index's
            # whole key: 1).
            per_prefix = [PER_CLINIC, PER_CLINIC] + [10 if n == 1 else 1 for n in range(1, len(columns))]
            if unique and len(columns) > 1:
                per_prefix[-1] = 1
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
                [STATS_TABLE, index, " ".join(str(n) for n in per_prefix)],
            )
        cursor.execute("ANALYZE sqlite_schema")  # reload the statistics in this connection


class Migration(migrations.Migration):

    replaces = [('patients', '0001_initial'), ('patients', '0002_patient_version'), ('patients', '0003_limit_free_text'), ('patients', '0004_patient_list_index'), ('patients', '0005_medication_route_and_classes'), ('patients', '0006_text_caps'), ('patients', '0007_search_trigram'), ('patients', '0008_diagnostic_results'), ('patients', '0009_search_fts'), ('patients', '0010_search_stats'), ('patients', '0011_page_version'), ('patients', '0012_search_fts_triggers_again'), ('patients', '0013_search_stats_again')]

    initial = True

    dependencies = [
        ('clinics', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPatient',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('mrn', models.CharField(help_text='Medical record number, unique within the clinic.', max_length=40, verbose_name='MRN')),
                ('given_name', models.CharField(max_length=120, verbose_name='given name')),
                ('family_name', models.CharField(max_length=120, verbose_name='family name')),
                ('date_of_birth', models.DateField(verbose_name='date of birth')),
                ('sex', models.CharField(choices=[('female', 'Female'), ('male', 'Male'), ('other', 'Other'), ('unknown', 'Not recorded')], default='unknown', max_length=10, verbose_name='sex')),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.5')), django.core.validators.MaxValueValidator(Decimal('350'))], verbose_name='weight (kg)')),
                ('weight_measured_on', models.DateField(blank=True, null=True, verbose_name='weight measured on')),
                ('conditions', models.JSONField(blank=True, default=list, verbose_name='conditions')),
                ('other_conditions', models.CharField(blank=True, max_length=300, verbose_name='other conditions')),
                ('autoinjector_dose', models.CharField(blank=True, choices=[('', 'None prescribed'), ('0.15', '0.15 mg'), ('0.3', '0.3 mg'), ('0.5', '0.5 mg')], default='', max_length=5, verbose_name='adrenaline auto-injector')),
                ('emergency_contact_name', models.CharField(blank=True, max_length=120, verbose_name='emergency contact')),
                ('emergency_contact_phone', models.CharField(blank=True, max_length=40, verbose_name='emergency contact phone')),
                ('emergency_plan_notes', models.TextField(blank=True, max_length=2000, verbose_name='emergency plan notes')),
                ('notes', models.TextField(blank=True, max_length=10000, verbose_name='notes')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('clinic', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinics.clinic')),
                ('entered_in_error_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='patient login')),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
            ],
            options={
                'verbose_name': 'historical patient',
                'verbose_name_plural': 'historical patients',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AlterField(
            model_name='historicalpatient',
            name='entered_in_error_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error'),
        ),
        migrations.CreateModel(
            name='Patient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('mrn', models.CharField(help_text='Medical record number, unique within the clinic.', max_length=40, verbose_name='MRN')),
                ('given_name', models.CharField(max_length=120, verbose_name='given name')),
                ('family_name', models.CharField(max_length=120, verbose_name='family name')),
                ('date_of_birth', models.DateField(verbose_name='date of birth')),
                ('sex', models.CharField(choices=[('female', 'Female'), ('male', 'Male'), ('other', 'Other'), ('unknown', 'Not recorded')], default='unknown', max_length=10, verbose_name='sex')),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.5')), django.core.validators.MaxValueValidator(Decimal('350'))], verbose_name='weight (kg)')),
                ('weight_measured_on', models.DateField(blank=True, null=True, verbose_name='weight measured on')),
                ('conditions', models.JSONField(blank=True, default=list, verbose_name='conditions')),
                ('other_conditions', models.CharField(blank=True, max_length=300, verbose_name='other conditions')),
                ('autoinjector_dose', models.CharField(blank=True, choices=[('', 'None prescribed'), ('0.15', '0.15 mg'), ('0.3', '0.3 mg'), ('0.5', '0.5 mg')], default='', max_length=5, verbose_name='adrenaline auto-injector')),
                ('emergency_contact_name', models.CharField(blank=True, max_length=120, verbose_name='emergency contact')),
                ('emergency_contact_phone', models.CharField(blank=True, max_length=40, verbose_name='emergency contact phone')),
                ('emergency_plan_notes', models.TextField(blank=True, max_length=2000, verbose_name='emergency plan notes')),
                ('notes', models.TextField(blank=True, max_length=10000, verbose_name='notes')),
                ('search_text', models.CharField(default='', editable=False, max_length=400)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='patients', to='clinics.clinic')),
                ('entered_in_error_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='patient_record', to=settings.AUTH_USER_MODEL, verbose_name='patient login')),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('page_version', models.BigIntegerField(default=0, editable=False)),
            ],
            options={
                'ordering': ['family_name', 'given_name', 'mrn'],
                'indexes': [models.Index(fields=['clinic', 'family_name', 'given_name', 'mrn', 'entered_in_error', 'search_text'], name='patients_patient_list_idx')],
                'constraints': [models.UniqueConstraint(fields=('clinic', 'mrn'), name='patients_patient_unique_mrn_per_clinic', violation_error_message='A patient with this MRN already exists in this clinic.'), models.CheckConstraint(condition=models.Q(('weight_kg__isnull', True), ('weight_kg__gt', 0), _connector='OR'), name='patients_patient_weight_positive', violation_error_message='Weight must be more than 0 kg.')],
            },
        ),
        migrations.CreateModel(
            name='Medication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('dose', models.CharField(help_text='e.g. 10 mg', max_length=100, verbose_name='dose')),
                ('schedule', models.CharField(blank=True, help_text='e.g. twice daily', max_length=200, verbose_name='schedule')),
                ('med_class', models.CharField(choices=[('h1_antihistamine', 'H1 antihistamine'), ('h2_blocker', 'H2 blocker'), ('leukotriene_antagonist', 'Leukotriene antagonist'), ('mast_cell_stabiliser', 'Mast-cell stabiliser'), ('tricyclic_antidepressant', 'Tricyclic antidepressant'), ('biologic', 'Long-acting biologic (e.g. omalizumab)'), ('beta_blocker', 'Beta-blocker'), ('ace_inhibitor', 'ACE inhibitor'), ('nsaid', 'NSAID'), ('ppi', 'Proton-pump inhibitor'), ('systemic_steroid', 'Systemic steroid'), ('other', 'Other')], default='other', max_length=30, verbose_name='class')),
                ('stopped_on', models.DateField(blank=True, null=True, verbose_name='stopped on')),
                ('entered_in_error_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='medications', to='patients.patient')),
                ('route', models.CharField(choices=[('oral', 'By mouth'), ('nasal', 'Nasal spray'), ('eye', 'Eye drops'), ('skin', 'On the skin'), ('inhaled', 'Inhaled'), ('injection', 'Injection')], default='oral', max_length=10, verbose_name='route')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AlterField(
            model_name='medication',
            name='entered_in_error_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error'),
        ),
        migrations.CreateModel(
            name='HistoricalTrigger',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('substance', models.CharField(max_length=200, verbose_name='food or substance')),
                ('reaction_type', models.CharField(choices=[('ige', 'IgE-mediated'), ('non_ige', 'Non-IgE-mediated'), ('mcas', 'MCAS trigger'), ('unknown', 'Unknown')], default='unknown', max_length=10, verbose_name='reaction type')),
                ('worst_reaction_on', models.DateField(blank=True, null=True, verbose_name='worst reaction date')),
                ('worst_reaction_severity', models.CharField(blank=True, choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe'), ('anaphylaxis', 'Anaphylaxis')], max_length=12, verbose_name='worst reaction severity')),
                ('last_reaction_on', models.DateField(blank=True, null=True, verbose_name='last reaction date')),
                ('last_reaction_severity', models.CharField(blank=True, choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe'), ('anaphylaxis', 'Anaphylaxis')], max_length=12, verbose_name='last reaction severity')),
                ('notes', models.TextField(blank=True, max_length=4000, verbose_name='notes')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('entered_in_error_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
            ],
            options={
                'verbose_name': 'historical trigger',
                'verbose_name_plural': 'historical triggers',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AlterField(
            model_name='historicaltrigger',
            name='entered_in_error_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error'),
        ),
        migrations.CreateModel(
            name='HistoricalMedication',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('dose', models.CharField(help_text='e.g. 10 mg', max_length=100, verbose_name='dose')),
                ('schedule', models.CharField(blank=True, help_text='e.g. twice daily', max_length=200, verbose_name='schedule')),
                ('med_class', models.CharField(choices=[('h1_antihistamine', 'H1 antihistamine'), ('h2_blocker', 'H2 blocker'), ('leukotriene_antagonist', 'Leukotriene antagonist'), ('mast_cell_stabiliser', 'Mast-cell stabiliser'), ('tricyclic_antidepressant', 'Tricyclic antidepressant'), ('biologic', 'Long-acting biologic (e.g. omalizumab)'), ('beta_blocker', 'Beta-blocker'), ('ace_inhibitor', 'ACE inhibitor'), ('nsaid', 'NSAID'), ('ppi', 'Proton-pump inhibitor'), ('systemic_steroid', 'Systemic steroid'), ('other', 'Other')], default='other', max_length=30, verbose_name='class')),
                ('stopped_on', models.DateField(blank=True, null=True, verbose_name='stopped on')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('entered_in_error_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                ('route', models.CharField(choices=[('oral', 'By mouth'), ('nasal', 'Nasal spray'), ('eye', 'Eye drops'), ('skin', 'On the skin'), ('inhaled', 'Inhaled'), ('injection', 'Injection')], default='oral', max_length=10, verbose_name='route')),
            ],
            options={
                'verbose_name': 'historical medication',
                'verbose_name_plural': 'historical medications',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AlterField(
            model_name='historicalmedication',
            name='entered_in_error_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error'),
        ),
        migrations.CreateModel(
            name='Trigger',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('substance', models.CharField(max_length=200, verbose_name='food or substance')),
                ('reaction_type', models.CharField(choices=[('ige', 'IgE-mediated'), ('non_ige', 'Non-IgE-mediated'), ('mcas', 'MCAS trigger'), ('unknown', 'Unknown')], default='unknown', max_length=10, verbose_name='reaction type')),
                ('worst_reaction_on', models.DateField(blank=True, null=True, verbose_name='worst reaction date')),
                ('worst_reaction_severity', models.CharField(blank=True, choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe'), ('anaphylaxis', 'Anaphylaxis')], max_length=12, verbose_name='worst reaction severity')),
                ('last_reaction_on', models.DateField(blank=True, null=True, verbose_name='last reaction date')),
                ('last_reaction_severity', models.CharField(blank=True, choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe'), ('anaphylaxis', 'Anaphylaxis')], max_length=12, verbose_name='last reaction severity')),
                ('notes', models.TextField(blank=True, max_length=4000, verbose_name='notes')),
                ('entered_in_error_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='triggers', to='patients.patient')),
            ],
            options={
                'ordering': ['substance'],
            },
        ),
        migrations.AlterField(
            model_name='trigger',
            name='entered_in_error_reason',
            field=models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error'),
        ),
        migrations.CreateModel(
            name='HistoricalDiagnosticResult',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('kind', models.CharField(choices=[('specific_ige', 'Specific IgE (kU/L)'), ('skin_prick', 'Skin-prick test wheal (mm)'), ('component_ige', 'Component specific IgE (kU/L)'), ('tryptase', 'Baseline serum tryptase (ng/mL)')], max_length=20, verbose_name='test')),
                ('allergen', models.CharField(blank=True, help_text='e.g. peanut; not needed for tryptase', max_length=120, verbose_name='allergen or food')),
                ('component', models.CharField(blank=True, help_text='Component tests only, e.g. Ara h 2', max_length=40, verbose_name='component')),
                ('value', models.DecimalField(decimal_places=2, max_digits=6, verbose_name='value')),
                ('taken_on', models.DateField(verbose_name='date taken')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('entered_in_error_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
            ],
            options={
                'verbose_name': 'historical diagnostic result',
                'verbose_name_plural': 'historical diagnostic results',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='DiagnosticResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('entered_in_error', models.BooleanField(default=False, verbose_name='entered in error')),
                ('entered_in_error_reason', models.TextField(blank=True, max_length=2000, verbose_name='reason it was entered in error')),
                ('entered_in_error_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('kind', models.CharField(choices=[('specific_ige', 'Specific IgE (kU/L)'), ('skin_prick', 'Skin-prick test wheal (mm)'), ('component_ige', 'Component specific IgE (kU/L)'), ('tryptase', 'Baseline serum tryptase (ng/mL)')], max_length=20, verbose_name='test')),
                ('allergen', models.CharField(blank=True, help_text='e.g. peanut; not needed for tryptase', max_length=120, verbose_name='allergen or food')),
                ('component', models.CharField(blank=True, help_text='Component tests only, e.g. Ara h 2', max_length=40, verbose_name='component')),
                ('value', models.DecimalField(decimal_places=2, max_digits=6, verbose_name='value')),
                ('taken_on', models.DateField(verbose_name='date taken')),
                ('entered_in_error_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='diagnostics', to='patients.patient')),
            ],
            options={
                'ordering': ['-taken_on', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('value__gte', 0)), name='patients_diagnosticresult_value_not_negative')],
            },
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
        migrations.RunPython(create_search_table, drop_search_table),
        migrations.RunPython(write_search_stats, migrations.RunPython.noop),
    ]
