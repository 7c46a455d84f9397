from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from studies.audit import Action, audit
from studies.crypto import EncryptedField, VaultKeyError, reencrypt


def encrypted_models():
    """Every model with an encrypted field, and those fields' column names."""
    for model in apps.get_models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedField)
        ]
        if columns:
            yield model, columns


class Command(BaseCommand):
    help = (
        "Re-encrypt every value in the identity vault under the first key in VAULT_KEYS. Put the new "
        "key first and keep the old ones after it; once this has run, the old keys can be removed."
    )

    def handle(self, *args, **options):
        counts = {}
        try:
            with transaction.atomic():
                for model, columns in encrypted_models():
                    counts[model._meta.label] = self.rotate(model, columns)
                audit(Action.VAULT_ROTATE, details={"rows": counts})
        except VaultKeyError as error:
            raise CommandError(f"nothing was changed: {error}") from None
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")

    def rotate(self, model, columns) -> int:
        """Re-encrypt the stored tokens as they are, without decoding them into model values."""
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        quoted = [quote(model._meta.get_field(column).column) for column in columns]
        # Table and column names come from the model, never from input.
        select = f"SELECT {pk}, {', '.join(quoted)} FROM {table}"  # noqa: S608
        update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in quoted)} WHERE {pk} = %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(select)
            rows = cursor.fetchall()
            for pk_value, *tokens in rows:
                fresh = [None if token is None else reencrypt(token) for token in tokens]
                cursor.execute(update, [*fresh, pk_value])
        return len(rows)
