"""Contact addresses: hash for lookup, encrypt for replies, mask for people."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from responder.errors import AddressError


@dataclass(frozen=True)
class Keys:
    """Keys derived from RESPONDER_DATA_KEY: one to hash, one to encrypt, one for the spool.

    Deriving separate keys means a leaked hash key cannot decrypt, and the operator
    still manages a single secret. The spool (messages kept on disk while the database
    is away) has a key of its own, so its files and the stored numbers never share one.
    While the data key is being rotated, `earlier` holds the keys of
    RESPONDER_DATA_KEY_FALLBACKS: they still decrypt and find what was stored under them
    (spool files included), and everything new is written with the current key only.
    """

    hash_key: bytes
    fernet: Fernet
    spool_fernet: Fernet
    earlier: tuple[Keys, ...] = ()

    @classmethod
    def from_secret(cls, secret: str, fallbacks: Iterable[str] = ()) -> Keys:
        root = secret.encode()
        hash_key = hmac.new(root, b"responder address hash", hashlib.sha256).digest()
        enc_key = hmac.new(root, b"responder address encryption", hashlib.sha256).digest()
        spool_key = hmac.new(root, b"responder spool encryption", hashlib.sha256).digest()
        older = [old for old in dict.fromkeys(fallbacks) if old != secret]
        return cls(
            hash_key,
            Fernet(base64.urlsafe_b64encode(enc_key)),
            Fernet(base64.urlsafe_b64encode(spool_key)),
            tuple(cls.from_secret(old) for old in older),
        )

    def hash(self, e164: str) -> str:
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()

    def hashes(self, e164: str) -> tuple[str, ...]:
        """Return every hash the number may be stored under, the current key's first."""
        return (self.hash(e164), *(old.hash(e164) for old in self.earlier))

    def encrypt(self, e164: str) -> str:
        return self.fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self.readers.decrypt(token.encode()).decode()
        except InvalidToken:
            raise AddressError("the address cannot be decrypted with this key") from None

    def is_current(self, token: str) -> bool:
        """Tell whether token was encrypted with the current key, not an earlier one."""
        try:
            self.fernet.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    @functools.cached_property
    def readers(self) -> MultiFernet:
        """Encrypts under the current key and decrypts under any of them."""
        return MultiFernet([self.fernet, *(old.fernet for old in self.earlier)])

    @functools.cached_property
    def spool(self) -> MultiFernet:
        """The spool's key: files are written under the current one, read under any."""
        return MultiFernet([self.spool_fernet, *(old.spool_fernet for old in self.earlier)])


def country_of(e164: str) -> str | None:
    """Return the ISO country code of a number, or None when it cannot be told."""
    parsed = phonenumbers.parse(e164, None)
    # The exact region needs a number phonenumbers knows as valid; test and newly issued
    # ranges are not, so fall back to the country calling code's main region.
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code)
    )
    return region if region and region not in ("ZZ", "001") else None


def mask(e164: str) -> str:
    """Show a number the way counsellors see it: country code and last three digits.

    Country calling codes are prefix-free, so the first one to match is the code. A
    queue page masks hundreds of numbers, and this is much quicker than a full parse.
    """
    digits = e164.removeprefix("+")
    for length in (1, 2, 3):
        if int(digits[:length] or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    return f"+{digits[:length]} •••• ••• {digits[length:][-3:]}"
