"""The identity vault's cipher: binding to owner and field, key ids, no key in reprs."""

from __future__ import annotations

import base64
import os

import pytest

from homeward.common.crypto import (
    FieldCipher,
    KeyEncryptionKey,
    KeyRing,
    UndecryptableValue,
    UnknownKeyEncryptionKey,
)


def test_values_decrypt_only_for_their_owner_and_field() -> None:
    key = os.urandom(32)
    cipher = FieldCipher("case-1", key)
    sealed = cipher.encrypt("full_name", "Zaynab Example")
    assert sealed is not None and b"Zaynab" not in sealed
    assert cipher.decrypt("full_name", sealed) == "Zaynab Example"
    assert cipher.encrypt("x", "same") != cipher.encrypt("x", "same")  # fresh nonce each time
    with pytest.raises(UndecryptableValue):
        cipher.decrypt("address", sealed)
    with pytest.raises(UndecryptableValue):
        FieldCipher("case-2", key).decrypt("full_name", sealed)
    with pytest.raises(UndecryptableValue):
        FieldCipher("case-1", os.urandom(32)).decrypt("full_name", sealed)
    assert cipher.encrypt("phone", None) is None and cipher.decrypt("phone", None) is None


def test_key_encryption_key_ids_and_rotation_lookup() -> None:
    raw = os.urandom(32)
    kek = KeyEncryptionKey.from_base64(base64.b64encode(raw).decode())
    assert kek.key_id.startswith("kek-") and raw.hex() not in repr(kek)
    old = KeyEncryptionKey.from_base64(base64.b64encode(os.urandom(32)).decode())
    ring = KeyRing(kek, retired=[old])
    assert ring.get(old.key_id) is old and ring.current is kek
    with pytest.raises(UnknownKeyEncryptionKey):
        ring.get("kek-unknown")
    with pytest.raises(ValueError, match="32 bytes"):
        KeyEncryptionKey.from_base64(base64.b64encode(b"short").decode())
