"""Why a message stopped on its way to the texter, as it is stored on the message.

The stored words are English, as the API gives them. Each reason also has a name
(`NAMES`), so that the console can say it in the counsellor's language instead.
"""

from __future__ import annotations

# What a counsellor reads next to a message Twilio refused. Twilio's own error text
# is never stored: it can quote the texter's number.
REASONS = {
    20003: "Twilio refused the helpline's credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
    20429: "Twilio asked the helpline to slow down",
    21211: "the texter's number is not a valid phone number",
    21610: "the texter has opted out (STOP); nothing reaches them until they send START",
    21611: "the helpline number's sending queue is full",
    21614: "the texter's number cannot receive text messages",
    21617: "the message is longer than 1600 characters",
    21619: "the message is empty",
    30001: "Twilio's sending queue overflowed",
    30003: "the texter's phone is unreachable",
    30004: "the message was blocked on the way to the texter",
    30005: "the texter's number is unknown or no longer in use",
    30006: "the texter's number is a landline or its carrier cannot be reached",
    30007: "the carrier filtered the message",
    30008: "the carrier could not deliver the message",
    63015: "the texter has not joined the WhatsApp sandbox",
    63016: "WhatsApp's 24-hour window has closed",
    63018: "WhatsApp's sending rate limit was reached",
}
HELD = "held: WhatsApp's 24-hour window has closed; it goes when the texter writes again"
NO_TEMPLATE = (
    "WhatsApp's 24-hour window has closed and no approved template is configured to "
    "invite the texter back: set TWILIO_WHATSAPP_TEMPLATE_SID"
)
NO_SENDER = "no helpline number to send from"
UNREADABLE = "the texter's number cannot be read with this data key"
STOPPED = "the texter has opted out (STOP); nothing is sent to them"
NOT_NEEDED = "not needed: the texter wrote again"
TEXT_GONE = "not sent: the conversation's text was deleted after the retention period"
# Put before the reason of a try that failed and will be made again.
RETRYING = "will try again: "


def twilio_error(code: int) -> str:
    """A Twilio error the helpline has no words for, by its code."""
    return f"Twilio error {code}"


# Each stored reason by the name of its phrase (`delivery_reason.<name>`).
NAMES: dict[str, str] = {
    **{text: f"c{code}" for code, text in REASONS.items()},
    HELD: "held",
    NO_TEMPLATE: "no_template",
    NO_SENDER: "no_sender",
    UNREADABLE: "unreadable",
    STOPPED: "stopped",
    NOT_NEEDED: "not_needed",
    TEXT_GONE: "text_gone",
}
