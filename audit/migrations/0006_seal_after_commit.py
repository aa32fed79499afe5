"""Audit rows may wait unsealed for the sealer that chains them right after their writer's commit (docs/audit-chain.md).

The chain already in the database stays as it is: its rows keep their seq and hashes, hashed without `sealed_at`,
and new rows continue it from its head. The audit table's UPDATE guard becomes the seal-once guard, and the
PostgreSQL head function skips unsealed rows (their seq is NULL, which sorts first in a descending order there).
"""

from django.conf import settings
from django.db import migrations, models

from audit import guards

HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION sw_audit_chain_head(lock_key bigint)
RETURNS TABLE (head_seq bigint, head_hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_auditevent e WHERE e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


def seal_once_guard(apps, schema_editor):
    connection = schema_editor.connection
    guards.drop(connection, [(guards.AUDIT_TABLE, "update")])
    guards.install(connection, {guards.AUDIT_TABLE: guards.APPEND_ONLY})
    if connection.vendor == "postgresql":
        schema_editor.execute(HEAD_FUNCTION)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_admin_change_actions'),
        ('clinics', '0007_dbpcfc_can_prepare_blinded'),
        ('patients', '0006_text_caps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='sealed_at',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='previous_hash',
            field=models.CharField(editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('hash__isnull', True)), fields=['id'], name='audit_event_unsealed'),
        ),
        # Reversing leaves the seal-once guard and the head function as they are: both work on a sealed-only chain.
        migrations.RunPython(seal_once_guard, migrations.RunPython.noop),
    ]
