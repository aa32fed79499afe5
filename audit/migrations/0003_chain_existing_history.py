"""Put history rows written before the audit app existed into the chain, so `verify_audit` covers them too.

On a new database there are none and this does nothing. Each row gets a "record.change" event marked adopted,
in history-date order, hashed from its stored values exactly as audit.services.log_record_change does.
"""

from django.db import migrations
from django.utils import timezone

from audit import chain, guards


def adopt(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    rows = []
    for model in apps.get_models():
        if guards.is_history_model(model):
            fields = [f.attname for f in model._meta.concrete_fields]
            for values in model._base_manager.values(*fields).iterator():
                rows.append((values["history_date"], model._meta.label_lower, values["history_id"], fields, values))
    rows.sort(key=lambda row: row[:3])
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    seq, previous = (last["seq"], last["hash"]) if last else (0, chain.GENESIS)
    for _date, label, history_id, fields, values in rows:
        seq += 1
        event = AuditEvent(
            seq=seq, at=timezone.now(), user_id=values["history_user_id"], username="", clinic_id=None,
            patient_id=None, action="record.change", object_type=label.replace(".historical", "."),
            object_id=str(values["id"]), ip="", user_agent="", previous_hash=previous,
            details={"model": label, "history_id": history_id, "history_type": values["history_type"],
                     "fields": fields, "row_sha256": chain.digest(values), "adopted": True},
        )
        event.hash = chain.link_hash(previous, chain.event_content({n: getattr(event, n) for n in chain.EVENT_FIELDS}))
        event.save(force_insert=True)
        previous = event.hash


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_guards")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop, elidable=True)]
