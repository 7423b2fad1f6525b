"""Key pairs for the promotion cycle: a reviewer's SSH signing key, a committee member's age key.

`handbook keys new` writes the secret half to a file only its owner can read (0600, never over an
existing file) and returns the public half with the settings line to paste.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..check.reviews import ReviewError
from ..check.signatures import KEY_TYPE, SignatureError, public_blob

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MAX_KEY_BYTES = 64 * 1024


def _write_secret(path: Path, text: str) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ReviewError(f"{path} already exists; choose another file (a key is never overwritten)") from None
    except OSError as problem:
        raise ReviewError(f"cannot write {path}: {problem.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)


def new_reviewer_key(path: Path, reviewer: str) -> str:
    """A new ed25519 SSH key pair: the private key at `path` (OpenSSH format), `path`.pub; returns
    the public key line."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = Ed25519PrivateKey.generate()
    secret = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()).decode("ascii")
    public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
    line = f"{public} {reviewer}@handbook"
    _write_secret(path, secret)
    from ..load.safe_files import write_exclusive

    write_exclusive(Path(f"{path}.pub"), line + "\n")
    return line


def new_committee_key(path: Path) -> str:
    """A new age identity at `path`, in age-keygen's format; returns the recipient (age1...)."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    _write_secret(path, f"# public key: {recipient}\n{identity}\n")
    return recipient


def load_signing_key(path: Path, passphrase: Callable[[], str] | None = None) -> Ed25519PrivateKey:
    """The ed25519 private key in an OpenSSH key file (asking `passphrase` when it is encrypted)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    from ..load.safe_files import read_regular

    data = read_regular(path, MAX_KEY_BYTES, what="signing key")  # a FIFO, a device or an oversize file: an error
    try:
        try:
            key = load_ssh_private_key(data, password=None)
        except TypeError:  # encrypted
            if passphrase is None:
                raise ReviewError(f"{path} is protected by a passphrase; run the command in a terminal") from None
            key = load_ssh_private_key(data, password=passphrase().encode("utf-8"))
    except ValueError:
        raise ReviewError(
            f"{path} is not an OpenSSH private key (or the passphrase is wrong); give the private "
            "half of the key registered for you, e.g. ~/.ssh/id_ed25519"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ReviewError(
            f"{path} is not an ed25519 key; reviews are signed with {KEY_TYPE} keys "
            "(`handbook keys new --reviewer ID` makes one)"
        )
    return key


def public_line(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")


def same_key(key: Ed25519PrivateKey, registered: str) -> bool:
    try:
        return public_blob(public_line(key)) == public_blob(registered)
    except SignatureError:
        return False
