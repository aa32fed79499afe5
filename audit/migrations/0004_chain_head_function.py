"""PostgreSQL: one function that takes the chain's lock and reads its head with a fresh snapshot (one round trip).

See audit.services._chain_head. A VOLATILE plpgsql function takes a new snapshot for each statement in it, so under
READ COMMITTED the read after the lock sees the row the previous lock holder committed. SQLite needs nothing.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sw_audit_chain_head(lock_key bigint)
RETURNS TABLE (head_seq bigint, head_hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS sw_audit_chain_head(bigint)")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_existing_history")]

    operations = [migrations.RunPython(create, drop)]
