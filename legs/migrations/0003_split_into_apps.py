"""Hand the tables over to the knowledge and history apps.

The tables keep their names and rows: the models are removed from this app's state only
(the apps' first migrations added them to theirs), and the content types move with them,
so editors' permissions and the admin's history of changes still point at the same rows.
"""

from django.db import migrations

MOVED = {
    "knowledge": (
        "knowledgerevision", "cause", "source", "remedy", "step", "question", "choice",
        "evidence", "faq",
    ),
    "history": ("episode", "episodecause", "episoderemedy", "followup"),
}


def move_content_types(apps, schema_editor, source="legs", targets=MOVED):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for app_label, models in targets.items():
        for model in models:
            if ContentType.objects.using(db).filter(app_label=app_label, model=model).exists():
                continue
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=app_label
            )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for app_label, models in MOVED.items():
        if ContentType.objects.using(db).filter(app_label="legs", model__in=models).exists():
            continue
        ContentType.objects.using(db).filter(app_label=app_label, model__in=models).update(
            app_label="legs"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("legs", "0002_episodes"),
        ("knowledge", "0001_initial"),
        ("history", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
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
