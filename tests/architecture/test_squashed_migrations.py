"""Each app's squashed migration ends in the state its old migrations end in (docs/architecture.md, "Migrations").

A new database runs the squashed migrations, one that applied the old ones carries on from them: the models they
describe must be the same, or `makemigrations` would see changes on one kind of database and not the other. The
schemas themselves (column order, constraint and index names, triggers) were compared on SQLite and PostgreSQL
when the migrations were squashed. Delete this test with the old migrations.
"""

from __future__ import annotations

from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner

SQUASHED = {
    "clinics": ("0001_squashed_0009_clinic_email", "0009_clinic_email"),
    "patients": ("0001_squashed_0013_search_stats_again", "0013_search_stats_again"),
    "challenges": ("0001_squashed_0023_page_version", "0023_page_version"),
    "audit": ("0001_squashed_0006_seal_after_commit", "0006_seal_after_commit"),
}


def test_each_squashed_migration_replaces_all_of_its_apps_old_migrations() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, (squashed, _last) in SQUASHED.items():
        old = sorted(name for (label, name) in loader.disk_migrations if label == app and name != squashed)
        assert loader.get_migration(app, squashed).replaces == [(app, name) for name in old]


def test_the_squashed_migrations_end_in_the_state_of_the_old_ones() -> None:
    # The graph of a new database (squashed migrations), and one with the old migrations only (nothing depends on
    # the squashed ones there).
    squashed_graph = MigrationLoader(None, ignore_no_migrations=True)
    old_graph = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    old = old_graph.project_state([(app, last) for app, (_squashed, last) in SQUASHED.items()], at_end=True)
    new = squashed_graph.project_state([(app, squashed) for app, (squashed, _last) in SQUASHED.items()], at_end=True)
    assert all((app, name) not in old_graph.graph.forwards_plan((app, last)) for app, (name, last) in SQUASHED.items())
    for app in SQUASHED:
        assert {name for (label, name) in old.models if label == app} == {
            name for (label, name) in new.models if label == app
        }
    changes = MigrationAutodetector(old, new, NonInteractiveMigrationQuestioner()).changes(graph=squashed_graph.graph)
    assert changes == {}
