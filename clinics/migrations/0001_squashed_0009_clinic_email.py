"""The clinics migrations 0001_initial to 0009_clinic_email, squashed into one.

So a new database is built in a fraction of the time: Django re-renders models for every operation, and the old
migrations had 17 operations here.
A database that has applied the old ones carries on from them; a new one runs this one instead. Made from the
state the old migrations end in, for the same schema on SQLite and PostgreSQL, down to column order and
constraint names (docs/architecture.md, "Migrations"):

- each model is created with its fields in the order the old migrations left them;
- after a model's CreateModel come the few operations that made the old tables what they are beyond that: an
  AlterField from the field's previous definition (SQLite rebuilds the table for it and puts the column last, where
  the old migrations left it; PostgreSQL keeps its place), then the nullable fields added after it (ALTER TABLE ADD
  COLUMN, last on both).

Clinic's `fhir_namespace` is created as 0008 added it and made unique by 0008's AlterField, so PostgreSQL names the
constraint `..._uniq` as it did then (created unique, it would be `..._key`); `email` is added after it as 0009 did
(NOT NULL: SQLite rebuilds the table, in field order again).

Elided: 0008's `fill` (a fresh namespace and MRN system for each existing clinic, before the columns became
required and unique): it only changes existing rows, and a new database has no clinics.
"""

import clinics.models
import django.contrib.auth.models
import django.contrib.auth.validators
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('clinics', '0001_initial'), ('clinics', '0002_text_caps'), ('clinics', '0003_submission_keys'), ('clinics', '0004_user_history'), ('clinics', '0005_sessions_epoch'), ('clinics', '0006_reaction_registration_number'), ('clinics', '0007_dbpcfc_can_prepare_blinded'), ('clinics', '0008_mrn_system_and_fhir_namespace'), ('clinics', '0009_clinic_email')]

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='Clinic',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                ('time_zone', models.CharField(default='Europe/London', max_length=64, validators=[clinics.models.validate_time_zone], verbose_name='time zone')),
                ('address', models.TextField(blank=True, max_length=500, verbose_name='address')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='phone')),
                ('report_page_size', models.CharField(choices=[('A4', 'A4'), ('letter', 'US Letter')], default='A4', max_length=10, verbose_name='report page size')),
                ('home_steps_need_release', models.BooleanField(default=False, verbose_name="home steps need an allergist's release")),
                ('fhir_namespace', models.UUIDField(null=True)),
                ('mrn_system', models.CharField(default=clinics.models.new_mrn_system, help_text="The hospital's URI for its medical record numbers (an https URL or urn:oid:…), used in FHIR exports so the receiving system matches the patient. The default is a unique urn:uuid of this clinic.", max_length=200, validators=[clinics.models.validate_absolute_uri], verbose_name='MRN identifier system (FHIR)')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AlterField(
            model_name='clinic',
            name='fhir_namespace',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name='clinic',
            name='email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='email for home-plan alerts'),
        ),
        migrations.CreateModel(
            name='User',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('password', models.CharField(max_length=128, verbose_name='password')),
                ('last_login', models.DateTimeField(blank=True, null=True, verbose_name='last login')),
                ('is_superuser', models.BooleanField(default=False, help_text='Designates that this user has all permissions without explicitly assigning them.', verbose_name='superuser status')),
                ('username', models.CharField(error_messages={'unique': 'A user with that username already exists.'}, help_text='Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.', max_length=150, unique=True, validators=[django.contrib.auth.validators.UnicodeUsernameValidator()], verbose_name='username')),
                ('first_name', models.CharField(blank=True, max_length=150, verbose_name='first name')),
                ('last_name', models.CharField(blank=True, max_length=150, verbose_name='last name')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email address')),
                ('is_staff', models.BooleanField(default=False, help_text='Designates whether the user can log into this admin site.', verbose_name='staff status')),
                ('is_active', models.BooleanField(default=True, help_text='Designates whether this user should be treated as active. Unselect this instead of deleting accounts.', verbose_name='active')),
                ('date_joined', models.DateTimeField(default=django.utils.timezone.now, verbose_name='date joined')),
                ('role', models.CharField(blank=True, choices=[('allergist', 'Allergist'), ('nurse', 'Nurse'), ('patient', 'Patient')], max_length=20, verbose_name='role')),
                ('groups', models.ManyToManyField(blank=True, help_text='The groups this user belongs to. A user will get all permissions granted to each of their groups.', related_name='user_set', related_query_name='user', to='auth.group', verbose_name='groups')),
                ('user_permissions', models.ManyToManyField(blank=True, help_text='Specific permissions for this user.', related_name='user_set', related_query_name='user', to='auth.permission', verbose_name='user permissions')),
                ('clinic', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='users', to='clinics.clinic')),
                ('sessions_epoch', models.PositiveIntegerField(default=0, editable=False)),
                ('registration_number', models.CharField(blank=True, max_length=40, verbose_name='professional registration number')),
                ('can_prepare_blinded', models.BooleanField(default=False, verbose_name='prepares blinded doses (sees the placebo key)')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('role', ''), ('clinic__isnull', False), _connector='OR'), name='clinics_user_role_needs_clinic', violation_error_message='A user with a role must belong to a clinic.')],
            },
            managers=[
                ('objects', django.contrib.auth.models.UserManager()),
            ],
        ),
        migrations.CreateModel(
            name='SubmissionKey',
            fields=[
                ('key', models.UUIDField(primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('result_id', models.PositiveBigIntegerField(null=True)),
                ('result_type', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='HistoricalUser',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('password', models.CharField(max_length=128, verbose_name='password')),
                ('is_superuser', models.BooleanField(default=False, help_text='Designates that this user has all permissions without explicitly assigning them.', verbose_name='superuser status')),
                ('username', models.CharField(db_index=True, error_messages={'unique': 'A user with that username already exists.'}, help_text='Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.', max_length=150, validators=[django.contrib.auth.validators.UnicodeUsernameValidator()], verbose_name='username')),
                ('first_name', models.CharField(blank=True, max_length=150, verbose_name='first name')),
                ('last_name', models.CharField(blank=True, max_length=150, verbose_name='last name')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email address')),
                ('is_staff', models.BooleanField(default=False, help_text='Designates whether the user can log into this admin site.', verbose_name='staff status')),
                ('is_active', models.BooleanField(default=True, help_text='Designates whether this user should be treated as active. Unselect this instead of deleting accounts.', verbose_name='active')),
                ('date_joined', models.DateTimeField(default=django.utils.timezone.now, verbose_name='date joined')),
                ('role', models.CharField(blank=True, choices=[('allergist', 'Allergist'), ('nurse', 'Nurse'), ('patient', 'Patient')], max_length=20, verbose_name='role')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('clinic', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinics.clinic')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sessions_epoch', models.PositiveIntegerField(default=0, editable=False)),
                ('registration_number', models.CharField(blank=True, max_length=40, verbose_name='professional registration number')),
                ('can_prepare_blinded', models.BooleanField(default=False, verbose_name='prepares blinded doses (sees the placebo key)')),
            ],
            options={
                'verbose_name': 'historical user',
                'verbose_name_plural': 'historical users',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
