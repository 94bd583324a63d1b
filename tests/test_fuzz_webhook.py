"""Random signed forms at the webhook: whatever arrives, the answer is never a 500."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.twilio_requests import post_signed, sms

FIELDS = [
    "Body",
    "From",
    "To",
    "MessageSid",
    "NumMedia",
    "ButtonPayload",
    "ListId",
    "OptOutType",
    "WaId",
    "MediaUrl0",
    "MediaContentType0",
]
# Text Twilio could plausibly send: any Unicode a form can carry (no lone surrogates,
# which UTF-8 cannot encode), long values included.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=2000)
NUMBERS = st.sampled_from(
    ["+14155550123", "whatsapp:+447700900123", "+33612345678", "+1", "", "abc", "+999999999999999"]
)


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    """A realistic SMS form with some fields dropped, replaced or added."""
    # Many senders, so the per-sender rate limit does not hide the deeper paths.
    form = sms(draw(TEXT), sender="+1415555" + draw(st.from_regex(r"[0-9]{4}", fullmatch=True)))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        form.pop(field, None)
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        form[field] = draw(NUMBERS if field in ("From", "To") else TEXT)
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=20), TEXT, max_size=30))
    form.update({k: v for k, v in extra.items() if "\x00" not in k})
    return form


@settings(
    max_examples=150,
    deadline=None,  # these machines are small; speed is measured by benchmarks, not here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(form=forms())
def test_the_webhook_never_answers_500(app: Flask, form: dict[str, str]) -> None:
    response = post_signed(app.test_client(), form)
    assert response.status_code in (200, 400, 413), response.get_data(as_text=True)[:300]
