"""Who a page can offer to hand a conversation to: the counsellors present with room."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from responder import policies
from responder.staff import presence
from responder.store.db import get_session
from responder.web.console import bp


@bp.app_template_global("console_present")
def present() -> tuple[presence.Present, ...]:
    """List the counsellors present with room now, for a transfer or a handover."""
    window = policies.presence(current_app.config)
    return presence.with_room(get_session(), datetime.now(UTC), window)
