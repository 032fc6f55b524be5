from typing import Any

from django.db import migrations

from sitebill.core import append_only


def forwards(apps: Any, schema_editor: Any) -> None:
    append_only.install(schema_editor.connection)


def backwards(apps: Any, schema_editor: Any) -> None:
    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
