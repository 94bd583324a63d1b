"""Showing a supervisor a texter's full number, for a reason they write down.

Counsellors only ever see masked numbers. Some situations need the number itself,
such as a report to the police with a life at risk, so a supervisor may see it,
but never in passing: the written reason goes into the audit log in the same
transaction, and no reason means no number.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from responder.counselling import access
from responder.errors import NotPermitted, Rejected
from responder.privacy.addresses import Keys
from responder.staff import audit
from responder.staff.auth import supervises
from responder.store.models import Counsellor

log = logging.getLogger(__name__)

MIN_REASON, MAX_REASON = 10, 500


def reveal(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    reason: str,
    keys: Keys,
    now: datetime,
) -> str:
    """Return the texter's number in E.164 and log who saw it and why."""
    if not supervises(actor):
        raise NotPermitted(
            "only supervisors and admins may see a texter's number", "reveal_supervisors"
        )
    conversation = access.visible(session, conversation_id, actor)
    contact = access.texter(conversation)
    written = checked_reason(reason)
    audit.record(session, actor, "reveal", conversation.id, now, reason=written)
    log.warning("number revealed conversation=%s by=%s", conversation.id, actor.id)
    return keys.decrypt(contact.address_encrypted)


def checked_reason(reason: str) -> str:
    """The reason as kept in the audit log, once it says enough without saying too much."""
    # Spaces around the reason do not count towards its length, and are not kept.
    written = reason.strip()
    if len(written) < MIN_REASON or len(reason) > MAX_REASON:
        raise Rejected(
            f"write a reason of {MIN_REASON} to {MAX_REASON} characters; "
            f"this one has {len(written)}",
            "reason_length",
            least=MIN_REASON,
            most=MAX_REASON,
            length=len(written),
        )
    return written
