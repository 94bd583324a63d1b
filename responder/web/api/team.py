"""Who else is on shift: the counsellors a conversation can be handed to now."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from responder import services
from responder.conversations import waiting
from responder.staff import presence
from responder.store.db import get_session
from responder.web.api import bp, wire


@bp.get("/counsellors/present")
def present() -> ResponseReturnValue:
    session, now, window = get_session(), wire.now(), wire.presence()
    items = presence.with_room(session, now, window)
    free, _ = waiting.availability(session, now, services.of().hours, window)
    return wire.as_json({"items": items, "someone_free": free})
