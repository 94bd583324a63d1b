"""SMS encoding and segment counts, as the texter's phone and bill see them."""

from __future__ import annotations

import pytest

from responder.bot.sms import encode

GSM, UCS2 = "GSM-7", "UCS-2"
QUOTE, DASH, ELLIPSIS = "\N{RIGHT SINGLE QUOTATION MARK}", "\N{EN DASH}", "\N{HORIZONTAL ELLIPSIS}"


@pytest.mark.parametrize(
    ("text", "name", "units", "segments"),
    [
        pytest.param("", GSM, 0, 1, id="empty"),
        pytest.param("a" * 160, GSM, 160, 1, id="gsm-160"),
        pytest.param("a" * 161, GSM, 161, 2, id="gsm-161"),
        pytest.param("a" * 306, GSM, 306, 2, id="gsm-306"),
        pytest.param("a" * 307, GSM, 307, 3, id="gsm-307"),
        pytest.param("a" * 459, GSM, 459, 3, id="gsm-459"),
        pytest.param("a" * 460, GSM, 460, 4, id="gsm-460"),
        pytest.param("[" * 80, GSM, 160, 1, id="extension-80"),
        pytest.param("[" * 81, GSM, 162, 2, id="extension-81"),
        pytest.param("500 €", GSM, 6, 1, id="euro-costs-two"),
        pytest.param("é è à ù É", GSM, 9, 1, id="french-accents-in-gsm"),
        pytest.param("Line one\nLine two", GSM, 17, 1, id="newline"),
        pytest.param("ê", UCS2, 1, 1, id="e-circumflex"),
        pytest.param("ç", UCS2, 1, 1, id="c-cedilla"),
        pytest.param("Ç", UCS2, 1, 1, id="capital-c-cedilla"),
        pytest.param(f"don{QUOTE}t", UCS2, 5, 1, id="curly-apostrophe"),
        pytest.param(f"1{DASH}3", UCS2, 3, 1, id="en-dash"),
        pytest.param(f"wait{ELLIPSIS}", UCS2, 5, 1, id="ellipsis"),
        pytest.param("Reply\u00a0MENU", UCS2, 10, 1, id="non-breaking-space"),
        pytest.param("hi 🙂", UCS2, 5, 1, id="emoji"),
        pytest.param("Ne paie pas. Si tu as déjà payé, arrête.", UCS2, 40, 1, id="french-ucs2"),
        pytest.param("ê" * 70, UCS2, 70, 1, id="ucs2-70"),
        pytest.param("ê" * 71, UCS2, 71, 2, id="ucs2-71"),
        pytest.param("ê" * 134, UCS2, 134, 2, id="ucs2-134"),
        pytest.param("ê" * 135, UCS2, 135, 3, id="ucs2-135"),
        pytest.param("🙂" * 35, UCS2, 70, 1, id="emoji-35-fills-one"),
        pytest.param("🙂" * 36, UCS2, 72, 2, id="emoji-36-needs-two"),
        pytest.param("ê" + "[" * 69, UCS2, 70, 1, id="extension-costs-one-in-ucs2"),
    ],
)
def test_encoding_and_segments(text: str, name: str, units: int, segments: int) -> None:
    """Each text is sent in the right alphabet and billed the right number of segments."""
    encoding = encode(text)
    assert (encoding.name, encoding.units, encoding.segments) == (name, units, segments)


@pytest.mark.parametrize(
    ("text", "outside"),
    [
        pytest.param("Plain text, [GSM] only: é £ €", (), id="none"),
        pytest.param(
            f"l{QUOTE}aide {DASH} l{QUOTE}aide{ELLIPSIS} l{QUOTE}aide",
            (QUOTE, DASH, ELLIPSIS),
            id="each-once-in-order",
        ),
        pytest.param("🙂 ok 🙂", ("🙂",), id="emoji-once"),
        pytest.param("ça\u00a0va", ("ç", "\u00a0"), id="cedilla-and-nbsp"),
    ],
)
def test_outside_gsm7_names_each_offender_once(text: str, outside: tuple[str, ...]) -> None:
    """The characters that force UCS-2 are listed once each, so an editor can fix them."""
    assert encode(text).outside_gsm7 == outside
