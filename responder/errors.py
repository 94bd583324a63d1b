"""Errors that more than one room raises or catches."""

from __future__ import annotations


class AddressError(ValueError):
    """The address is not a phone number we can answer."""
