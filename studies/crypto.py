"""Encryption at rest for the identity vault.

Values are encrypted with MultiFernet under the keys in VAULT_KEYS (newest first: the first
encrypts, every key decrypts), which are never derived from SECRET_KEY. In DEBUG without
VAULT_KEYS a key is made once and kept in var/vault.key, with a warning. A value that no key
opens raises VaultKeyError: ciphertext is never shown as if it were data.
"""

import json
import logging
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)


class VaultKeyError(Exception):
    """The vault's keys are missing or do not open what is stored."""


def vault_keys() -> tuple[str, ...]:
    if settings.VAULT_KEYS:
        return tuple(settings.VAULT_KEYS)
    if not settings.DEBUG:
        raise ImproperlyConfigured("VAULT_KEYS is not set: the identity vault cannot be opened")
    path = settings.VAULT_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode() + "\n")
        path.chmod(0o600)
        logger.warning(
            "VAULT_KEYS is not set: created a development vault key in %s. "
            "Set VAULT_KEYS in production and keep the key apart from the database backups.",
            path,
        )
    return (path.read_text().strip(),)


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(vault_keys())


def encrypt(value) -> str:
    return cipher().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def decrypt(token: str):
    try:
        return json.loads(cipher().decrypt(token.encode("ascii")))
    except InvalidToken:
        raise VaultKeyError(
            "A vault value cannot be decrypted with the keys in VAULT_KEYS: a key is wrong or missing."
        ) from None


def reencrypt(token: str) -> str:
    """The same value under the newest key."""
    try:
        return cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise VaultKeyError(
            "A vault value cannot be decrypted with the keys in VAULT_KEYS."
        ) from None


class EncryptedField(models.TextField):
    """A text, date or yes/no value stored as a Fernet token. It cannot be searched or sorted."""

    def __init__(self, *args, kind: type = str, **kwargs):
        if kind not in (str, date, bool):
            raise TypeError(f"EncryptedField cannot hold {kind.__name__}")
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.kind is not str:
            kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = self.to_python(value)
        if value is None or value == "":
            return None if self.null else encrypt("")
        return encrypt(value.isoformat() if self.kind is date else value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        plain = decrypt(value)
        return date.fromisoformat(plain) if self.kind is date and plain else plain

    def to_python(self, value):
        if self.kind is date and isinstance(value, str) and value:
            return date.fromisoformat(value)
        if self.kind is str and value is not None:
            return str(value)
        return value

    def formfield(self, **kwargs):
        if self.kind is date:
            return models.DateField(
                null=self.null, blank=self.blank, verbose_name=self.verbose_name
            ).formfield(**kwargs)
        if self.kind is bool:
            return models.BooleanField(verbose_name=self.verbose_name).formfield(**kwargs)
        return super().formfield(**kwargs)

    def get_internal_type(self):
        return "TextField"
