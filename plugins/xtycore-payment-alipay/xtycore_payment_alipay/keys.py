"""RSA2 keys and signatures as Alipay uses them: SHA256withRSA (PKCS#1 v1.5), base64.

Alipay's console and key tool hand out keys as bare base64 (no PEM armour):
the application private key as PKCS#1 ("非Java") or PKCS#8 ("Java"), the
Alipay public key as an X.509 SubjectPublicKeyInfo. Merchants paste either
that or a PEM file, so both are accepted here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: Alipay asks for 2048-bit application keys for RSA2
MIN_KEY_BITS = 2048
_WHITESPACE = re.compile(r"\s+")


class KeyProblem(ValueError):
    """A key that does not load; the message says why, without the key."""


def _der(text: str) -> bytes | None:
    """The DER bytes of a bare base64 key, or None when ``text`` is PEM."""
    if "-----BEGIN" in text:
        return None
    try:
        return base64.b64decode(_WHITESPACE.sub("", text), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem("is neither a PEM key nor base64") from None


@functools.lru_cache(maxsize=32)
def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """The application private key (PEM or bare base64; PKCS#1 or PKCS#8)."""
    try:
        der = _der(text.strip())
        if der is None:
            key = serialization.load_pem_private_key(text.strip().encode("ascii"), password=None)
        else:
            key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise KeyProblem(f"does not load as an unencrypted RSA private key ({_reason(exc)})") from None
    return _checked(key, rsa.RSAPrivateKey, "private")


@functools.lru_cache(maxsize=32)
def load_public_key(text: str) -> rsa.RSAPublicKey:
    """The Alipay public key (PEM or bare base64 SubjectPublicKeyInfo; PKCS#1 PEM too)."""
    try:
        der = _der(text.strip())
        if der is None:
            key = serialization.load_pem_public_key(text.strip().encode("ascii"))
        else:
            key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise KeyProblem(f"does not load as an RSA public key ({_reason(exc)})") from None
    return _checked(key, rsa.RSAPublicKey, "public")


def _checked(key, kind: type, name: str):
    if not isinstance(key, kind):
        raise KeyProblem(f"is not an RSA {name} key (RSA2 needs RSA)")
    if key.key_size < MIN_KEY_BITS:
        raise KeyProblem(f"is a {key.key_size}-bit key; RSA2 needs at least {MIN_KEY_BITS} bits")
    return key


def _reason(exc: Exception) -> str:
    # cryptography's messages can be long and mention OpenSSL internals; the first sentence is enough
    return str(exc).split(".")[0][:120] or type(exc).__name__


def sign(content: str, private_key_text: str, charset: str = "utf-8") -> str:
    """The base64 RSA2 signature of ``content``."""
    key = load_private_key(private_key_text)
    signature = key.sign(content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(content: str | bytes, signature: str, public_key_text: str, charset: str = "utf-8") -> bool:
    """Whether ``signature`` (base64) is the RSA2 signature of ``content`` under the public key."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    message = content if isinstance(content, bytes) else content.encode(charset)
    try:
        load_public_key(public_key_text).verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
