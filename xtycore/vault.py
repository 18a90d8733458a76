"""Secret settings: encrypted at rest, masked on the way out.

A settings schema marks a field secret with ``metadata={"secret": True}``.
Secret values are stored encrypted (Fernet, with a key derived from the
instance's ``SECRET_KEY``, which lives only in ``instance/`` or the
environment), are decrypted only when a capability is called, and are shown
back as a mask that keeps the last four characters. Submitting the mask (or
nothing) for a secret field keeps the stored value.

Changing ``SECRET_KEY`` makes stored secrets unreadable: re-enter them.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Mapping

from cryptography.fernet import Fernet, InvalidToken
from marshmallow import Schema

from xtycore.domain.errors import ConfigurationError

PREFIX = "enc:v1:"
MASK = "••••"


def secret_fields(schema: Schema) -> set[str]:
    return {name for name, f in schema.fields.items() if f.metadata.get("secret")}


def _fernet(secret_key: str | bytes) -> Fernet:
    if not secret_key:
        raise ConfigurationError("SECRET_KEY is not set: run `xty init` or set XTY_SECRET_KEY")
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hashlib.sha256(b"xtycore-vault-v1\x00" + raw).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def mask(value: Any) -> str:
    text = "" if value is None else str(value)
    if len(text) <= 8:
        return MASK
    return MASK + text[-4:]


def is_mask(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MASK)


def seal(schema: Schema, settings: Mapping[str, Any], secret_key: str) -> dict[str, Any]:
    """Encrypt the secret fields of validated ``settings`` for storage."""
    f = _fernet(secret_key)
    sealed = dict(settings)
    for name in secret_fields(schema):
        value = sealed.get(name)
        if value not in (None, ""):
            sealed[name] = PREFIX + f.encrypt(str(value).encode()).decode()
    return sealed


def unseal(schema: Schema, stored: Mapping[str, Any], secret_key: str) -> dict[str, Any]:
    """Decrypt stored settings for a capability call."""
    f = _fernet(secret_key)
    plain = dict(stored)
    for name in secret_fields(schema):
        value = plain.get(name)
        if isinstance(value, str) and value.startswith(PREFIX):
            try:
                plain[name] = f.decrypt(value[len(PREFIX):].encode()).decode()
            except InvalidToken:
                raise ConfigurationError(
                    f"the secret setting {name!r} cannot be decrypted: SECRET_KEY changed "
                    "since it was saved; enter the secret again"
                ) from None
    return plain


def masked(schema: Schema, stored: Mapping[str, Any], secret_key: str) -> dict[str, Any]:
    """Settings as they may be shown: secrets masked, never sent back in full."""
    shown = unseal(schema, stored, secret_key)
    for name in secret_fields(schema):
        if shown.get(name) not in (None, ""):
            shown[name] = mask(shown[name])
    return shown


def merge_submitted(schema: Schema, submitted: Mapping[str, Any], current_plain: Mapping[str, Any]) -> dict:
    """Keep stored secrets where the form sent back the mask or left the field empty."""
    merged = dict(submitted)
    for name in secret_fields(schema):
        value = merged.get(name)
        if (value in (None, "") or is_mask(value)) and current_plain.get(name) not in (None, ""):
            merged[name] = current_plain[name]
    return merged
