"""On PostgreSQL the database itself refuses to change or delete audit events."""

from django.db import migrations

CREATE = """
CREATE FUNCTION studies_auditevent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER studies_auditevent_append_only
    BEFORE UPDATE OR DELETE ON studies_auditevent
    FOR EACH ROW EXECUTE FUNCTION studies_auditevent_refuse_change();
"""

DROP = """
DROP TRIGGER studies_auditevent_append_only ON studies_auditevent;
DROP FUNCTION studies_auditevent_refuse_change();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("studies", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
