"""Ed25519 signatures of published versions' locks, and the key files that make and check them.

A standards body signs the lock of each version it publishes (`referee publish
SCHEME ID --key FILE`); the signature lives in the lock, with the public key
and its fingerprint, so that a lock is checked on its own wherever it is read
(the library refuses a signed lock whose signature does not match its content).
Whether the key is the body's is a separate question, answered by `referee
verify --trust KEYFILE`. Keys are read in the formats `openssl` and
`ssh-keygen` write (PEM, OpenSSH); a key's fingerprint is `sha256:` and the
hex SHA-256 of its 32 raw bytes. `cryptography` is imported only when a key or
a signature is used.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import Problem, ReferentialError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"
PASSPHRASE_VARIABLE = "REFEREE_KEY_PASSPHRASE"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """`sha256:` and the SHA-256 of the key's raw bytes: what decisions and `referee versions` name a key by."""
    return "sha256:" + hashlib.sha256(public_key.public_bytes_raw()).hexdigest()


@dataclass(frozen=True)
class Signature:
    """A signature of a lock's content, with the public key that checks it."""

    key: str  # the fingerprint of public_key
    public_key: str  # base64 of the key's 32 raw bytes
    value: str  # base64 of the 64-byte signature

    def to_json(self) -> dict[str, str]:
        return {"algorithm": ALGORITHM, "key": self.key, "public_key": self.public_key, "value": self.value}

    @classmethod
    def from_json(cls, data: Any, file: str) -> Signature:
        """The signature as a lock records it; a key that does not match its fingerprint is refused."""
        fields = ("algorithm", "key", "public_key", "value")
        wrong = [name for name in fields if not isinstance(data, Mapping) or not isinstance(data.get(name), str)]
        if wrong:
            raise ReferentialError(f"{file}: the signature is not readable", [Problem("missing or not a text", ("signature", name), file) for name in wrong])
        if data["algorithm"] != ALGORITHM:
            raise ReferentialError(f"{file}: the signature is not readable", [Problem(f"{data['algorithm']!r}: only {ALGORITHM} is known", ("signature", "algorithm"), file)])
        signature = cls(data["key"], data["public_key"], data["value"])
        try:
            public = signature.public()
        except ValueError:
            raise ReferentialError(f"{file}: the signature's public key is not an Ed25519 key", [Problem("not 32 bytes in base64", ("signature", "public_key"), file)]) from None
        if fingerprint(public) != signature.key:
            raise ReferentialError(f"{file}: the signature names a key it does not carry", [Problem(f"the public key's fingerprint is not {signature.key}", ("signature", "key"), file)])
        return signature

    def public(self) -> Ed25519PublicKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key, validate=True))  # ValueError if it is not one

    def verifies(self, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.public().verify(base64.b64decode(self.value, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def sign(private_key: Ed25519PrivateKey, message: bytes) -> Signature:
    public = private_key.public_key()
    return Signature(fingerprint(public), base64.b64encode(public.public_bytes_raw()).decode(), base64.b64encode(private_key.sign(message)).decode())


def read_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key file (PEM or OpenSSH); an encrypted one is opened with $REFEREE_KEY_PASSPHRASE."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(path)
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    password = passphrase.encode() if passphrase else None
    loader = serialization.load_ssh_private_key if b"OPENSSH PRIVATE KEY" in data else serialization.load_pem_private_key
    try:
        key = loader(data, password)
    except TypeError:  # encrypted without a passphrase, or a passphrase for a key that has none
        wanted = f"give its passphrase in ${PASSPHRASE_VARIABLE}" if password is None else f"it is not encrypted: unset ${PASSPHRASE_VARIABLE}"
        raise UsageError(f"cannot open the key {path}", [Problem(wanted)]) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UsageError(f"{path} is not a private key file (PEM or OpenSSH)", [Problem(str(exc))]) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key", [Problem(f"it is a {type(key).__name__}; make one with `referee keygen FILE`")])
    return key


def read_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key file: PEM (`openssl pkey -pubout`) or one OpenSSH line (`ssh-ed25519 AAAA…`)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read(path)
    if b"PRIVATE KEY" in data:
        raise UsageError(f"{path} is a private key", [Problem("trust the public key (FILE.pub), and keep the private key to the one who signs")])
    loader = serialization.load_ssh_public_key if data.lstrip().startswith(b"ssh-") else serialization.load_pem_public_key
    try:
        key = loader(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UsageError(f"{path} is not a public key file (PEM or OpenSSH)", [Problem(str(exc))]) from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 key", [Problem(f"it is a {type(key).__name__}")])
    return key


def write_key_pair(path: Path, *, force: bool = False) -> tuple[Path, str]:
    """A new key: the private key in `path` (PKCS#8 PEM, readable by its owner only; encrypted with
    $REFEREE_KEY_PASSPHRASE when set) and the public key in `path`.pub. Returns the public file and the fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_path = path.with_name(path.name + ".pub")
    existing = [p for p in (path, public_path) if p.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} exists already: give --force to replace the key pair (what it signed stays signed by the old key)")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: there is no folder {path.parent}")
    key = Ed25519PrivateKey.generate()
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(private)
        os.chmod(path, 0o600)  # a replaced file keeps its old mode otherwise
        public_path.write_bytes(public)
    except OSError as exc:
        raise UsageError(f"cannot write the key pair {path}: {exc.strerror or exc}") from None
    return public_path, fingerprint(key.public_key())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the key {path}: {exc.strerror or exc}") from None
