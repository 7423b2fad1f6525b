"""Signed reviews: who wrote a review is proved by their SSH key, not by the file's name.

A review's signature is an SSH signature (OpenSSH's SSHSIG format, namespace `handbook-review`,
the format `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` reads) over a small canonical
message: reviewer, packet file, date and the digest of the assessment. For a sealed review the
digest is of the assessment with a random salt, both inside the seal, and the digest itself
(`commitment`) is in clear: so `validate` checks the signature without opening anything, the
salt stops anyone confirming a guessed rating against it, and resealing to another committee
keeps the signature valid. Opening a sealed review then checks its content against the digest.

Only ed25519 keys: what people sign git commits with today, and one algorithm to get right.
The cryptography is the `cryptography` package's; only the wire format is written here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from typing import TYPE_CHECKING, Any

from ..model.handbook import ReviewProcess

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NAMESPACE = "handbook-review"
MAGIC = b"SSHSIG"
KEY_TYPE = "ssh-ed25519"
HASH = "sha512"
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"

# Why a review does not count (the reason is shown with the reviewer id and file).
UNSIGNED = "unsigned"
UNREGISTERED = "reviewer not registered in the settings"
WRONG_KEY = "signed by another key than the reviewer's registered key"
BAD_SIGNATURE = "signature does not match the review"
CONTENT_CHANGED = "sealed content does not match what the reviewer signed"
PACKET_CHANGED = (
    "the packet was edited after this review was signed (evidence, summary, levels or pinned "
    "version): the reviewer reviews it again"
)
OLD_FORMAT = "signed in a format that does not name the packet as reviewed: the reviewer writes it again"


class SignatureError(ValueError):
    """A key or signature that cannot be read."""


# --- the signed message ------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_digest(body: dict[str, Any], salt: str | None = None) -> str:
    """The digest a signature covers: of the (salted, when sealed) canonical assessment."""
    return "sha256:" + hashlib.sha256((salt or "").encode("ascii") + canonical(body)).hexdigest()


def signed_message(
    reviewer: str, packet_file: str, date: str, digest: str, packet_digest: str, replaces: str | None
) -> bytes:
    """What a reviewer signs: who, which packet as it was then, when, the assessment's digest, and
    the signature this review replaces (so an older version put back is told apart)."""
    return canonical(
        {
            "format": "handbook-review/2",
            "reviewer": reviewer,
            "packet": packet_file,
            "date": date,
            "content": digest,
            "packet_digest": packet_digest,
            "replaces": replaces,
        }
    )


def signature_digest(signature: str) -> str:
    """How a replaced review's signature is named by the review replacing it."""
    return "sha256:" + hashlib.sha256("".join(signature.split()).encode("ascii", "replace")).hexdigest()


# --- SSH wire format ---------------------------------------------------------------------------


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(data):
        raise SignatureError("truncated signature")
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise SignatureError("truncated signature")
    return data[offset + 4 : end], end


def public_blob(key_line: str) -> bytes:
    """The wire blob of an `ssh-ed25519 AAAA... [comment]` line."""
    parts = key_line.split()
    if len(parts) < 2 or parts[0] != KEY_TYPE:
        raise SignatureError(f"not an {KEY_TYPE} public key (expected a line 'ssh-ed25519 AAAA...')")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        kind, offset = _read_string(blob, 0)
        raw, offset = _read_string(blob, offset)
    except (binascii.Error, SignatureError):
        raise SignatureError("the public key is not valid base64 SSH key data (was it copied whole?)") from None
    if kind != KEY_TYPE.encode() or len(raw) != 32 or offset != len(blob):
        raise SignatureError("the public key is not a valid ssh-ed25519 key")
    return blob


def _signed_data(message: bytes) -> bytes:
    return (
        MAGIC
        + _string(NAMESPACE.encode())
        + _string(b"")
        + _string(HASH.encode())
        + _string(hashlib.sha512(message).digest())
    )


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """An armored SSHSIG signature of `message` by `key`."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    line = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
    signature = _string(KEY_TYPE.encode()) + _string(key.sign(_signed_data(message)))
    blob = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(public_blob(line))
        + _string(NAMESPACE.encode())
        + _string(b"")
        + _string(HASH.encode())
        + _string(signature)
    )
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def _parse(armored: str) -> tuple[bytes, str, bytes, bytes]:
    """(public key blob, hash algorithm, signed-data hash input, raw ed25519 signature)."""
    text = armored.strip()
    if not (text.startswith(ARMOR_BEGIN) and text.endswith(ARMOR_END)):
        raise SignatureError("not an SSH signature")
    try:
        blob = base64.b64decode("".join(text[len(ARMOR_BEGIN) : -len(ARMOR_END)].split()), validate=True)
    except binascii.Error:
        raise SignatureError("the signature is not valid base64") from None
    if not blob.startswith(MAGIC) or len(blob) < 10 or struct.unpack(">I", blob[6:10])[0] != 1:
        raise SignatureError("not an SSHSIG version 1 signature")
    key, offset = _read_string(blob, 10)
    namespace, offset = _read_string(blob, offset)
    _reserved, offset = _read_string(blob, offset)
    algorithm, offset = _read_string(blob, offset)
    signature, offset = _read_string(blob, offset)
    if namespace != NAMESPACE.encode():
        raise SignatureError(f"signed for '{namespace.decode('utf-8', 'replace')}', not for {NAMESPACE}")
    kind, inner = _read_string(signature, 0)
    raw, _ = _read_string(signature, inner)
    if kind != KEY_TYPE.encode():
        raise SignatureError(f"only {KEY_TYPE} signatures are accepted")
    return key, algorithm.decode("ascii", "replace"), signature, raw


def verify(armored: str, key_line: str, message: bytes) -> str | None:
    """None when `armored` is `key_line`'s signature of `message`, else why not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        registered = public_blob(key_line)
        key, algorithm, _, raw = _parse(armored)
    except SignatureError as problem:
        return f"{BAD_SIGNATURE} ({problem})"
    if key != registered:
        return WRONG_KEY
    if algorithm not in ("sha256", "sha512"):
        return f"{BAD_SIGNATURE} (hash {algorithm} is not accepted)"
    digest = hashlib.new(algorithm, message).digest()
    data = MAGIC + _string(NAMESPACE.encode()) + _string(b"") + _string(algorithm.encode()) + _string(digest)
    try:
        Ed25519PublicKey.from_public_bytes(registered[-32:]).verify(raw, data)
    except InvalidSignature:
        return BAD_SIGNATURE
    return None


# --- one review ---------------------------------------------------------------------------------


def review_problem(
    process: ReviewProcess,
    reviewer: str,
    packet_file: str,
    date: str,
    signature: str | None,
    digest: str | None,
    signed_packet: str | None,
    packet_now: str,
    replaces: str | None,
) -> str | None:
    """Why a review does not count, or None. Only asked when the settings register reviewers.
    `signed_packet`: the packet digest the review names; `packet_now`: the packet's digest today."""
    registered = process.reviewer(reviewer)
    if registered is None:
        return UNREGISTERED
    if signature is None or digest is None:
        return UNSIGNED
    if signed_packet is None:
        return OLD_FORMAT
    if signed_packet != packet_now:
        return PACKET_CHANGED
    return verify(
        signature, registered.key, signed_message(reviewer, packet_file, date, digest, signed_packet, replaces)
    )
