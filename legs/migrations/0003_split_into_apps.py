"""Hand the tables over to the knowledge and history apps.

The tables keep their names and rows: the models are removed from this app's state only
(the apps' first migrations added them to theirs), and the content types move with them,
so editors' permissions and the admin's history of changes still point at the same rows.
"""

from django.conf import settings
from django.db import migrations

MOVED = {
    "knowledge": (
        "knowledgerevision", "cause", "source", "remedy", "step", "question", "choice",
        "evidence", "faq",
    ),
    "history": ("episode", "episodecause", "episoderemedy", "followup"),
}


def relabel(apps, db, model, source, target):
    """Move the content type of `model` from app `source` to app `target`, keeping its id.

    post_migrate may already have created a `target` one: `migrate legs 0002_episodes`
    leaves the new apps' state migrations applied, so it recreates their content types
    next to the ones moved back. The `source` one is what editors' permissions and the
    admin's history point at, so it wins; anything given meanwhile through the other is
    carried over to it before that one is deleted.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
    if old is None:
        return  # A new database: post_migrate will create the content type later.
    new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
    if new is not None:
        merge_into(apps, db, new, old)
        new.delete()
    old.app_label = target
    old.save(update_fields=["app_label"])


def merge_into(apps, db, duplicate, kept):
    Permission = apps.get_model("auth", "Permission")
    links = [
        apps.get_model("auth", "Group").permissions.through,
        apps.get_model(settings.AUTH_USER_MODEL).user_permissions.through,
    ]
    for permission in Permission.objects.using(db).filter(content_type=duplicate):
        same = Permission.objects.using(db).filter(
            content_type=kept, codename=permission.codename
        ).first()
        if same is None:
            permission.content_type = kept
            permission.save(update_fields=["content_type"])
            continue
        for link in links:
            # The group or user column of the link table.
            owner = next(
                f.attname for f in link._meta.fields if f.is_relation and f.name != "permission"
            )
            holders = link.objects.using(db).filter(permission=same).values(owner)
            rows = link.objects.using(db).filter(permission=permission)
            rows.filter(**{f"{owner}__in": holders}).delete()
            rows.update(permission=same)
    try:
        LogEntry = apps.get_model("admin", "LogEntry")
    except LookupError:
        return  # The admin is not migrated yet, so it has no history to keep.
    LogEntry.objects.using(db).filter(content_type=duplicate).update(content_type=kept)


def move_content_types(apps, schema_editor):
    for app_label, models in MOVED.items():
        for model in models:
            relabel(apps, schema_editor.connection.alias, model, "legs", app_label)


def move_content_types_back(apps, schema_editor):
    for app_label, models in MOVED.items():
        for model in models:
            relabel(apps, schema_editor.connection.alias, model, app_label, "legs")


class Migration(migrations.Migration):

    dependencies = [
        ("legs", "0002_episodes"),
        ("knowledge", "0001_initial"),
        ("history", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Permissions and group/user links are carried over when content types merge.
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name=name)
                for name in (
                    "Evidence", "Source", "Remedy", "Faq", "Choice", "Question", "Step",
                    "Cause", "KnowledgeRevision", "FollowUp", "EpisodeRemedy", "EpisodeCause",
                    "Episode",
                )
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
