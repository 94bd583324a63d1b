"""The settings every use case and job follows, built from the app's config in one place.

The web views, the commands and the worker call these at the edge, once per request
or once at start, and hand the values down; below this line nothing reads the config
or the app. Each function takes the config as a plain Mapping and the app's services,
so this module loads without Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responder.conversations.crisis_followup import FollowUp
from responder.conversations.queue import WaitNotices
from responder.conversations.receiving import Policy as ReceivingPolicy
from responder.conversations.spooled import Replay
from responder.conversations.surge import Limits as SurgeLimits
from responder.counselling.overdue import Limits
from responder.delivery.alerts import Policy as AlertPolicy
from responder.delivery.sending import Policy as DeliveryPolicy
from responder.store.spool import Spool

if TYPE_CHECKING:
    from responder.services import Services


def receiving(config: Mapping[str, Any], services: Services) -> ReceivingPolicy:
    """What an inbound message is handled by: timeouts, hours, rate limit, age, on-call."""
    return ReceivingPolicy(
        keys=services.keys,
        menu_timeout=timedelta(minutes=config["RESPONDER_MENU_TIMEOUT_MINUTES"]),
        episode_gap=timedelta(hours=config["RESPONDER_EPISODE_HOURS"]),
        hours=services.hours,
        queue_when_closed=config["RESPONDER_QUEUE_WHEN_CLOSED"],
        rate_limit=config["RESPONDER_RATE_LIMIT_PER_MINUTE"],
        ask_age=config["RESPONDER_ASK_AGE"],
        oncall=bool(config.get("RESPONDER_ONCALL_NUMBER")),
        waiting_reply_every=timedelta(minutes=config["RESPONDER_WAITING_REPLY_MINUTES"]),
        presence=presence(config),
    )


def spool(config: Mapping[str, Any], services: Services) -> Spool:
    """The folder where messages wait while the database is away, and its key."""
    return Spool(Path(config["RESPONDER_SPOOL_DIR"]), services.keys.spool)


def replay(config: Mapping[str, Any], services: Services) -> Replay:
    """What storing spooled messages follows: the spool, and receive's own settings."""
    return Replay(spool(config, services), services.content, receiving(config, services))


def presence(config: Mapping[str, Any]) -> timedelta:
    """How recently a console page must have been seen for its counsellor to count as there."""
    return timedelta(seconds=config["RESPONDER_PRESENCE_SECONDS"])


def delivery(config: Mapping[str, Any], services: Services) -> DeliveryPolicy:
    """How the outbox is delivered: the key to the numbers, the WhatsApp template, early news."""
    return DeliveryPolicy(
        keys=services.keys,
        template_sid=config.get("TWILIO_WHATSAPP_TEMPLATE_SID"),
        early_status=timedelta(minutes=config["RESPONDER_EARLY_STATUS_MINUTES"]),
    )


def alerts(config: Mapping[str, Any]) -> AlertPolicy:
    """Where alerts go and which number they come from.

    With a Messaging Service the transport sends SMS from its pool whatever sender
    it is given, so the service's sid stands in when no number is set.
    """
    return AlertPolicy(
        oncall=config.get("RESPONDER_ONCALL_NUMBER"),
        sender=config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID"),
        every=timedelta(minutes=config["RESPONDER_ALERT_EVERY_MINUTES"]),
    )


def wait_notices(config: Mapping[str, Any], services: Services) -> WaitNotices:
    """How often texters left in the queue are told they are still there."""
    return WaitNotices(
        every=timedelta(minutes=config["RESPONDER_WAIT_NOTICE_MINUTES"]),
        content=services.content,
        keys=services.keys,
    )


def crisis_followup(config: Mapping[str, Any], services: Services) -> FollowUp:
    """When an unclaimed crisis is followed up, and whether the on-call number hears of it."""
    return FollowUp(
        after=timedelta(seconds=config["RESPONDER_CRISIS_FOLLOWUP_SECONDS"]),
        content=services.content,
        oncall=bool(config.get("RESPONDER_ONCALL_NUMBER")),
    )


def surge(config: Mapping[str, Any]) -> SurgeLimits:
    """How many texters joining the queue within how long make a surge worth a word."""
    return SurgeLimits(
        conversations=config["RESPONDER_SURGE_CONVERSATIONS"],
        window=timedelta(minutes=config["RESPONDER_SURGE_MINUTES"]),
        oncall=bool(config.get("RESPONDER_ONCALL_NUMBER")),
    )


def overdue(config: Mapping[str, Any]) -> Limits:
    """How long a texter may wait for an answer before the board and the on-call hear of it."""
    return Limits(
        crisis=timedelta(minutes=config["RESPONDER_OVERDUE_CRISIS_MINUTES"]),
        other=timedelta(minutes=config["RESPONDER_OVERDUE_MINUTES"]),
        oncall=bool(config.get("RESPONDER_ONCALL_NUMBER")),
    )
