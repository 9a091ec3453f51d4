from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_user_history_version"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="history_version"),
    ]
