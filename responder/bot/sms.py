"""SMS encoding and segment counts, as a phone network bills them (3GPP TS 23.038)."""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 default alphabet, in table order. Position 0x09 is the lower-case
# c-cedilla in Unicode's mapping and a capital in the ETSI print; gateways differ,
# so neither form is treated as GSM-7 here.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòØø\nÅå\rΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through an escape code, so each costs two septets.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Encoding:
    """How a text travels by SMS: its alphabet, its length in units and its segments."""

    name: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int
    outside_gsm7: tuple[str, ...]


def encode(text: str) -> Encoding:
    """Work out the encoding and segment count of one SMS text."""
    outside = tuple(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC | GSM7_EXTENSION))
    if not outside:
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return Encoding("GSM-7", units, _segments(units, GSM7_SINGLE, GSM7_PART), ())
    # UCS-2 counts UTF-16 code units: characters beyond the BMP, like most emoji, take two.
    units = len(text.encode("utf-16-le")) // 2
    return Encoding("UCS-2", units, _segments(units, UCS2_SINGLE, UCS2_PART), outside)


def _segments(units: int, single: int, part: int) -> int:
    if units <= single:
        return 1
    return -(-units // part)
