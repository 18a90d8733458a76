"""The WeChat Pay API v3 wire protocol: request signatures, answer signatures, encrypted resources.

Pure functions of their arguments (and the clock passed in), so the protocol
is tested without an application.

**Requests.** Every API request carries
``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"``
where ``signature`` is the Base64 SHA256withRSA (PKCS#1 v1.5) signature, with
the merchant's API private key, of ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``
and ``serial_no`` the serial number of the merchant's API certificate.

**Answers and callbacks.** WeChat Pay signs every answer and every callback
with its platform key: the headers ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
``Wechatpay-Signature`` and ``Wechatpay-Serial`` (which key: a WeChat Pay
public key id ``PUB_KEY_ID_…`` or a platform certificate's serial number);
the signature covers ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the raw body bytes. A
timestamp more than five minutes from our clock is refused (replay).

**Encrypted resources.** A callback's ``resource`` is AEAD_AES_256_GCM
ciphertext (Base64, the 16-byte tag appended) under the 32-byte APIv3 key,
with the resource's ``nonce`` and ``associated_data``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from functools import lru_cache
from typing import Any, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
TIMESTAMP_HEADER = "Wechatpay-Timestamp"
NONCE_HEADER = "Wechatpay-Nonce"
SIGNATURE_HEADER = "Wechatpay-Signature"
SERIAL_HEADER = "Wechatpay-Serial"
#: seconds an answer's or a callback's timestamp may differ from our clock (WeChat Pay recommends five minutes)
WINDOW_SECONDS = 300
AEAD = "AEAD_AES_256_GCM"
APIV3_KEY_BYTES = 32
MIN_RSA_BITS = 2048


class KeyProblem(ValueError):
    """A key, certificate or PEM text that cannot be used; the message says why."""


# --------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------


def _loaded(load: Any, pem: str, what: str) -> Any:
    try:
        return load(pem.strip().encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise KeyProblem(f"not {what} ({exc})") from None


@lru_cache(maxsize=32)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    """The merchant's RSA API private key (``apiclient_key.pem``, PKCS#8 or PKCS#1 PEM)."""
    key = _loaded(lambda data: serialization.load_pem_private_key(data, password=None), pem,
                  "an unencrypted PEM private key")
    return _rsa(key, rsa.RSAPrivateKey, "private")


@lru_cache(maxsize=32)
def public_key(pem: str) -> rsa.RSAPublicKey:
    """A WeChat Pay public key (``pub_key.pem``, the "微信支付公钥")."""
    return _rsa(_loaded(serialization.load_pem_public_key, pem, "a PEM public key"), rsa.RSAPublicKey, "public")


@lru_cache(maxsize=32)
def certificate(pem: str) -> x509.Certificate:
    """A WeChat Pay platform certificate (PEM)."""
    cert = _loaded(x509.load_pem_x509_certificate, pem, "a PEM certificate")
    _rsa(cert.public_key(), rsa.RSAPublicKey, "certificate's public")
    return cert


def certificate_serial(cert: x509.Certificate) -> str:
    """A certificate's serial number as WeChat Pay writes it: upper-case hexadecimal."""
    return format(cert.serial_number, "X")


def _rsa(key: Any, kind: type, what: str) -> Any:
    if not isinstance(key, kind):
        raise KeyProblem(f"the {what} key is not an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise KeyProblem(f"the {what} key has {key.key_size} bits; WeChat Pay uses {MIN_RSA_BITS}")
    return key


def platform_keys(public_key_id: str, public_key_pem: str, certificates: Mapping[str, str]) -> dict[str, Any]:
    """Every platform key we trust, by the serial WeChat Pay names in ``Wechatpay-Serial``."""
    keys: dict[str, Any] = {}
    if public_key_id and public_key_pem:
        keys[public_key_id] = public_key(public_key_pem)
    for serial, pem in certificates.items():
        keys[serial.upper()] = certificate(pem).public_key()
    return keys


def apiv3_key_problem(key: str) -> str:
    """Why ``key`` cannot be an APIv3 key; empty when it can."""
    if len(key.encode("utf-8")) != APIV3_KEY_BYTES:
        return f"the APIv3 key is {APIV3_KEY_BYTES} bytes (32 letters and digits), not {len(key.encode('utf-8'))}"
    return ""


# --------------------------------------------------------------------------
# signatures
# --------------------------------------------------------------------------


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verifies(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, binascii.Error, UnicodeEncodeError):
        return False
    return True


def request_message(method: str, url_path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a request's signature covers; ``url_path`` is the path with its query string."""
    return f"{method}\n{url_path}\n{timestamp}\n{nonce}\n".encode("utf-8") + body + b"\n"


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the signature of an answer or a callback covers: its headers' timestamp and nonce, the raw body."""
    return f"{timestamp}\n{nonce}\n".encode("utf-8") + body + b"\n"


def authorization(
    method: str, url_path: str, body: bytes, *, mchid: str, serial_no: str, key: rsa.RSAPrivateKey, now: float,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header of one API request."""
    timestamp = str(int(now))
    nonce = nonce or secrets.token_hex(16).upper()
    signature = rsa_sign(key, request_message(method, url_path, timestamp, nonce, body))
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def signature_problem(headers: Mapping[str, str], body: bytes, keys: Mapping[str, Any], now: float) -> str:
    """Why an answer or a callback cannot be trusted; empty when its platform signature verifies and is fresh.

    ``headers`` maps lower-case header names to values.
    """
    timestamp, nonce, signature, serial = (
        headers.get(name.lower(), "") for name in (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER, SERIAL_HEADER)
    )
    if not (timestamp and nonce and signature and serial):
        return "the Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers are not all there"
    key = keys.get(serial) or keys.get(serial.upper())
    if key is None:
        return f"no platform key or certificate is configured for serial {serial!r}"
    if not timestamp.isdigit():
        return "the Wechatpay-Timestamp is not a number of seconds"
    if not rsa_verifies(key, answer_message(timestamp, nonce, body), signature):
        return "the Wechatpay-Signature does not verify with the platform key"
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        return f"the Wechatpay-Timestamp is more than {WINDOW_SECONDS} seconds from now (a replay?)"
    return ""


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(name).lower(): value for name, value in headers.items()}


# --------------------------------------------------------------------------
# encrypted resources
# --------------------------------------------------------------------------


def decrypt_resource(resource: Any, apiv3_key: str) -> dict[str, Any]:
    """The JSON object inside a callback's ``resource``; :class:`ValueError` saying why when there is none."""
    if not isinstance(resource, dict) or resource.get("algorithm") != AEAD:
        raise ValueError(f"the resource is not {AEAD}")
    ciphertext, nonce = resource.get("ciphertext"), resource.get("nonce")
    associated = resource.get("associated_data") or ""
    if not (isinstance(ciphertext, str) and isinstance(nonce, str) and isinstance(associated, str) and nonce):
        raise ValueError("the resource's ciphertext, nonce or associated_data is missing")
    try:
        plain = AESGCM(apiv3_key.encode("utf-8")).decrypt(
            nonce.encode("utf-8"), base64.b64decode(ciphertext, validate=True), associated.encode("utf-8")
        )
        data = json.loads(plain.decode("utf-8"))
    except InvalidTag:
        raise ValueError("the resource does not decrypt with the APIv3 key (tampered, or another key)") from None
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError("the resource is not Base64 of encrypted JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the decrypted resource is not a JSON object")
    return data


def compact_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
