"""Splitting `legs` into the knowledge and history apps keeps every row, permission and
admin log entry of a database created before the split, in both directions.

The tests run real migrations against the test database, so they are transactional (SQLite
cannot alter tables inside the transaction a normal test runs in) and always migrate back
to the latest state at the end, so the tests that follow find the schema they expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from uuid import UUID

import pytest
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model
from django.utils import timezone

from legs.history import models as history
from legs.knowledge import models as knowledge

Target = tuple[str, str | None]

KNOWLEDGE_MODELS = (
    "KnowledgeRevision",
    "Step",
    "Question",
    "Choice",
    "Cause",
    "Remedy",
    "Source",
    "Evidence",
    "Faq",
)
HISTORY_MODELS = ("Episode", "EpisodeCause", "EpisodeRemedy", "FollowUp")
# Added after the split: a pre-split database has neither these models nor these columns.

# The last migrations before the split. The two new apps go back to zero (None) and
# accounts to before 0003, whose dropped column a pre-split database still has.
BEFORE_SPLIT: list[Target] = [
    ("legs", "0002_episodes"),
    ("accounts", "0002_user_history_version"),
    ("knowledge", None),
    ("history", None),
]

# Columns added by later migrations: a database from before the split has none of them, and
# one migrated back to it loses them (to come back with their defaults).
ADDED_AFTER_THE_SPLIT = {
    "legs_evidence": ("specific",),
    "accounts_user": ("follow_up_reminders",),
    "legs_episode": ("reminder_sent_at",),
}

Models = dict[str, type[Model]]
Snapshot = dict[str, list[dict[str, Any]]]


def migrate(targets: list[Target]) -> Apps:
    """Migrate the test database to `targets`; the models as they were at that point."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # The executor's graph still marks what was applied before this run.
    executor.loader.build_graph()
    # An app at zero has no node to build a state from.
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def before_split_targets() -> list[Target]:
    """BEFORE_SPLIT, and every other app at its latest migration so that auth, admin and
    contenttypes are in the historical state too (a state holds only the targets'
    ancestors)."""
    named = {app for app, _ in BEFORE_SPLIT}
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return BEFORE_SPLIT + [node for node in leaves if node[0] not in named]


def migrate_to_latest() -> None:
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    # Content types were renamed under the cache's feet.
    ContentType.objects.clear_cache()


@pytest.fixture
def migrator(transactional_db: None) -> Iterator[None]:
    try:
        yield
    finally:
        migrate_to_latest()


def legs_models(apps: Apps) -> Models:
    return {name: apps.get_model("legs", name) for name in KNOWLEDGE_MODELS + HISTORY_MODELS}


def split_models() -> Models:
    return {name: getattr(knowledge, name) for name in KNOWLEDGE_MODELS} | {
        name: getattr(history, name) for name in HISTORY_MODELS
    }


def make_rows(models: Models, apps: Apps | Any, **user_fields: Any) -> None:
    """A small but complete database: a runner with two episodes, an editor in a group
    allowed to change causes, a linked piece of knowledge and an admin log entry."""
    user_model = apps.get_model("accounts", "User")
    runner = user_model.objects.create(
        email="runner@example.com",
        password="!unusable",
        display_name="Ada",
        distance_unit="mi",
        date_joined=timezone.now() - timedelta(days=40),
        **user_fields,
    )
    editor = user_model.objects.create(
        email="editor@example.com", password="!unusable", is_staff=True, **user_fields
    )

    models["KnowledgeRevision"].objects.update_or_create(pk=1, defaults={"number": 7})
    step = models["Step"].objects.create(key="warning-signs", title="Warning signs", order=1)
    question = models["Question"].objects.create(
        step=step, key="warmup", text="Did you warm up?", kind="multi", required=True, order=3
    )
    choice = models["Choice"].objects.create(
        question=question,
        value="none",
        label="No warm-up",
        because="you skip the warm-up",
        order=2,
        triage="soon",
        triage_message="Book an appointment.",
    )
    cause = models["Cause"].objects.create(
        slug="no-warmup",
        name="No warm-up",
        category="training",
        summary="Cold muscles feel heavy.",
        body="Warm *up*.",
        see_doctor="If it **lasts**.",
        order=5,
        published=False,
        reviewed_by="A physio",
        reviewed_on=date(2025, 3, 14),
    )
    models["Remedy"].objects.create(
        cause=cause, title="Warm up for 10 minutes", summary="Jog slowly.", kind="now", order=1
    )
    models["Source"].objects.create(
        cause=cause, title="A study", url="https://example.com/study", order=2
    )
    models["Evidence"].objects.create(choice=choice, cause=cause, weight=Decimal("-2.5"))
    faq = models["Faq"].objects.create(
        slug="why-heavy", question="Why?", answer="Because.", order=4, published=False
    )
    faq.causes.add(cause)

    first = models["Episode"].objects.create(
        owner=runner,
        token=UUID("12345678-1234-5678-1234-567812345678"),
        run_date=date(2025, 5, 1),
        distance_km=Decimal("12.345"),
        duration=timedelta(hours=1, minutes=5, seconds=30, microseconds=250),
        heaviness=7,
        legs="left",
        notes="Hills.\nCold morning.",
        answers={"warmup": ["none"], "sleep_hours": "under_6"},
        answer_labels=[["Did you warm up?", ["No warm-up"]]],
        result={"triage": "soon", "causes": [{"slug": "no-warmup", "score": 6.5}], "x": None},
        triage="soon",
        top_cause_slug="no-warmup",
        top_cause_name="No warm-up",
        knowledge_version=7,
    )
    second = models["Episode"].objects.create(
        owner=runner,
        run_date=date(2024, 12, 31),
        answers={},
        answer_labels=[],
        result={"triage": "self_care", "causes": []},
        triage="self_care",
    )
    for episode, rank, band in ((first, 1, "likely"), (second, 2, "possible")):
        models["EpisodeCause"].objects.create(
            episode=episode, slug="no-warmup", name="No warm-up", band=band, rank=rank
        )
        models["EpisodeRemedy"].objects.create(
            episode=episode,
            cause_slug="no-warmup",
            cause_name="No warm-up",
            position=rank - 1,
            title="Warm up for 10 minutes",
            summary="Jog slowly." if rank == 1 else "",
            kind="now",
            tried=rank == 1,
        )
    models["FollowUp"].objects.create(
        episode=first, outcome="better", note="Much lighter.", given_on=date(2025, 5, 4)
    )
    models["FollowUp"].objects.create(episode=second, outcome="worse", given_on=date(2025, 1, 2))

    # The content type and permission rows may be missing from a database that never ran
    # post_migrate with these models (they are created by a signal, not by migrations).
    cause_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label=cause._meta.app_label, model="cause"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=cause_type, codename="change_cause", defaults={"name": "Can change cause"}
    )
    group = apps.get_model("auth", "Group").objects.create(name="Editors")
    group.permissions.add(permission)
    editor.groups.add(group)
    apps.get_model("admin", "LogEntry").objects.create(
        user=editor,
        content_type=cause_type,
        object_id=str(cause.pk),
        object_repr="No warm-up",
        action_flag=2,
        change_message='[{"changed": {"fields": ["Summary"]}}]',
    )


def rows(model: type[Model]) -> list[dict[str, Any]]:
    return list(model._base_manager.order_by("pk").values())


def snapshot(models: Models, apps: Apps | Any) -> Snapshot:
    """Every row the split must keep, by table, as the database returns it."""
    tables = {model._meta.db_table: rows(model) for model in models.values()}
    faq_causes = models["Faq"]._meta.get_field("causes").remote_field.through
    tables[faq_causes._meta.db_table] = rows(faq_causes)
    users = rows(apps.get_model("accounts", "User"))
    for user in users:
        # Dropped by accounts 0003, which runs alongside the split.
        user.pop("history_version", None)
    tables["accounts_user"] = users
    for label in ("accounts.User_groups", "auth.Group", "auth.Group_permissions"):
        model = apps.get_model(label)
        tables[model._meta.db_table] = rows(model)
    tables["django_admin_log"] = rows(apps.get_model("admin", "LogEntry"))
    for table, columns in ADDED_AFTER_THE_SPLIT.items():
        for row in tables[table]:
            for column in columns:
                row.pop(column, None)
    return tables


SPLIT_MODELS = {name.lower() for name in KNOWLEDGE_MODELS + HISTORY_MODELS}
DOMAIN_APPS = ("legs", "knowledge", "history")


def content_types(apps: Apps | Any) -> dict[int, tuple[str, str]]:
    """The content types, less those of models the domain apps gained after the split (a
    database from before it never had them; the test database has them all along)."""
    return {
        row["id"]: (row["app_label"], row["model"])
        for row in rows(apps.get_model("contenttypes", "ContentType"))
        if row["app_label"] not in DOMAIN_APPS or row["model"] in SPLIT_MODELS
    }


def moved(types: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """`types` with the legs models' content types relabelled to their new apps."""
    new_app = {name.lower(): "knowledge" for name in KNOWLEDGE_MODELS} | {
        name.lower(): "history" for name in HISTORY_MODELS
    }
    return {
        pk: (new_app[model] if app == "legs" else app, model) for pk, (app, model) in types.items()
    }


def assert_split_layout(before: Snapshot, cause_type_id: int) -> None:
    """The latest models see `before` unchanged, and the editors keep their rights."""
    models = split_models()
    assert snapshot(models, global_apps) == before

    cause = knowledge.Cause.objects.get()
    assert list(knowledge.Faq.objects.get().causes.all()) == [cause]
    # Evidence from before `specific` existed counts as specific, as it always did.
    assert all(knowledge.Evidence.objects.values_list("specific", flat=True))

    cause_type = ContentType.objects.get_for_model(knowledge.Cause)
    assert (cause_type.pk, cause_type.app_label) == (cause_type_id, "knowledge")
    user_model = global_apps.get_model("accounts", "User")
    editor = user_model.objects.get(email="editor@example.com")
    assert {
        f"{p.content_type.app_label}.{p.codename}"
        for p in global_apps.get_model("auth", "Permission").objects.filter(group__user=editor)
    } == {"knowledge.change_cause"}
    assert editor.has_perm("knowledge.change_cause")
    entry = global_apps.get_model("admin", "LogEntry").objects.get()
    assert entry.get_edited_object() == cause


def test_database_from_before_the_split_keeps_every_row(migrator: None) -> None:
    old_apps = migrate(before_split_targets())
    old_models = legs_models(old_apps)
    # A pre-split database knows only the old app's content types.
    assert not {app for app, _ in content_types(old_apps).values()} & {"knowledge", "history"}
    make_rows(old_models, old_apps, history_version=4)
    before = snapshot(old_models, old_apps)
    types_before = content_types(old_apps)
    cause_type_id = (
        old_apps.get_model("contenttypes", "ContentType")
        .objects.get(app_label="legs", model="cause")
        .pk
    )

    migrate_to_latest()

    assert_split_layout(before, cause_type_id)
    # Same ids, no content type duplicated or lost: only the app labels changed.
    assert content_types(global_apps) == moved(types_before)

    # The tables kept their id sequences: new rows do not collide with the old ones.
    episode = history.Episode.objects.create(
        owner=global_apps.get_model("accounts", "User").objects.get(email="runner@example.com"),
        triage="self_care",
    )
    assert episode.pk > max(row["id"] for row in before["legs_episode"])

    out = StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()


def test_migrating_back_before_the_split_and_forward_again_keeps_every_row(
    migrator: None,
) -> None:
    make_rows(split_models(), global_apps)
    before = snapshot(split_models(), global_apps)
    types_before = content_types(global_apps)
    cause_type_id = ContentType.objects.get_for_model(knowledge.Cause).pk

    old_apps = migrate(before_split_targets())

    assert snapshot(legs_models(old_apps), old_apps) == before
    old_types = content_types(old_apps)
    assert old_types[cause_type_id] == ("legs", "cause")
    # Back to the old app's labels, same ids, nothing left behind under the new ones.
    assert moved(old_types) == types_before
    assert not {app for app, _ in old_types.values()} & {"knowledge", "history"}

    migrate_to_latest()

    assert_split_layout(before, cause_type_id)
    assert content_types(global_apps) == types_before


def test_rolling_back_the_split_with_migrate_and_reapplying_keeps_editors_rights(
    migrator: None,
) -> None:
    """`migrate legs 0002_episodes` leaves the new apps' state migrations applied, so its
    post_migrate creates fresh knowledge/history content types next to the old ones moved
    back to legs. Applying the split again keeps the old ones (same ids) and carries over
    what was granted or logged through the fresh ones in the meantime."""
    make_rows(split_models(), global_apps)
    before = snapshot(split_models(), global_apps)
    cause_type_id = ContentType.objects.get_for_model(knowledge.Cause).pk

    call_command("migrate", "legs", "0002_episodes", verbosity=0)
    ContentType.objects.clear_cache()
    fresh = ContentType.objects.get(app_label="knowledge", model="cause")
    assert fresh.pk != cause_type_id
    # An editor at work while the split is rolled back, through the fresh content type.
    Group.objects.get().permissions.add(fresh.permission_set.get(codename="delete_cause"))
    editor = global_apps.get_model("accounts", "User").objects.get(email="editor@example.com")
    LogEntry.objects.create(
        user=editor,
        content_type=fresh,
        object_id=str(knowledge.Cause.objects.get().pk),
        object_repr="No warm-up",
        action_flag=2,
    )

    call_command("migrate", verbosity=0)
    ContentType.objects.clear_cache()

    after = snapshot(split_models(), global_apps)
    for table in set(before) - {"auth_group_permissions", "django_admin_log"}:
        assert after[table] == before[table], table
    assert ContentType.objects.get_for_model(knowledge.Cause).pk == cause_type_id
    assert not ContentType.objects.filter(app_label="legs").exists()
    editor = global_apps.get_model("accounts", "User").objects.get(email="editor@example.com")
    assert editor.has_perm("knowledge.change_cause")
    assert editor.has_perm("knowledge.delete_cause")
    cause = knowledge.Cause.objects.get()
    assert [entry.get_edited_object() for entry in LogEntry.objects.all()] == [cause, cause]
