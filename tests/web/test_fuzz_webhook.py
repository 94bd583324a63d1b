"""Random signed forms at the webhook, and messages made of the helpline's own words:
whatever arrives, the answer is never a 500."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responder.bot.content import load
from responder.conversations.receiving import START_WORDS, STOP_WORDS
from tests.checkout import ROOT
from tests.twilio_requests import post_signed, replies, sms, whatsapp

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


def _vocabulary() -> list[str]:
    """Every word the helpline itself listens for: crisis and pressure entries, keywords,
    page keywords, menu numbers, and the carrier's opt-out words."""
    content = load(ROOT / "content")
    words: set[str] = {str(n) for n in range(13)} | set(STOP_WORDS) | set(START_WORDS)
    for lang in content.languages.values():
        for entry in (*lang.crisis.terms, *lang.crisis.exclusions):
            # Number patterns stand for numbers: write one in their range.
            words.add(" ".join(p if isinstance(p, str) else str(p.low) for p in entry.parts))
        for group in lang.keywords.values():
            words.update(group)
        for page in lang.pages.values():
            words.update(page.keywords)
    return sorted(words)


VOCABULARY = _vocabulary()
# A few senders reused across examples, so that later messages meet existing texters in
# every state the earlier ones left them in, and fresh senders for first messages.
KNOWN = ["+14155550123", "+33612345678", "+6591234567", "+2250700000000"]


@st.composite
def helpline_messages(draw: st.DrawFn) -> dict[str, str]:
    """A message made of the helpline's own words, mixed with random text, by SMS or WhatsApp."""
    pieces = draw(
        st.lists(st.one_of(st.sampled_from(VOCABULARY), TEXT.map(lambda t: t[:40])), max_size=5)
    )
    body = draw(st.sampled_from([" ", "", ". ", "\n"])).join(pieces)
    sender = draw(
        st.one_of(
            st.sampled_from(KNOWN),
            st.from_regex(r"\+1415555[0-9]{4}", fullmatch=True),
        )
    )
    form = draw(st.sampled_from([sms, whatsapp]))
    return form(body, sender=sender)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(form=helpline_messages())
def test_the_helplines_own_words_never_answer_an_error(app: Flask, form: dict[str, str]) -> None:
    response = post_signed(app.test_client(), form)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    # Whatever state the texter is in, the answer is TwiML: a reply or a deliberate silence.
    replies(response)
