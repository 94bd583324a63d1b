"""A supervisor stepping in: taking a conversation over, its number, its transcript.

Both are plain forms, so that they work before any script has loaded; the use cases
check the role and keep the audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from responder import errors, services
from responder.counselling import reveal, stepping_in, transcript
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.pages import CONVERSATION
from responder.web.console.session import signed_in
from responder.web.console.words import refusal, say
from responder.web.downloads import attachment

ERROR_STATUS = {errors.NotFound: 404, errors.NotPermitted: 403}


@bp.post(f"{CONVERSATION}/take-over")
@signed_in()
def take_over(conversation_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        stepping_in.take_over(session, conversation_id, g.counsellor, datetime.now(UTC))
    except (errors.NotFound, errors.NotPermitted) as error:
        abort(ERROR_STATUS[type(error)], description=refusal(error))
    except (errors.Conflict, errors.Rejected) as error:
        session.rollback()
        flash(say("step_in.not_taken", error=refusal(error)), "error")
    else:
        session.commit()
        flash(say("step_in.taken", id=conversation_id))
    return redirect(url_for("console.conversation", conversation_id=conversation_id))


@bp.post(f"{CONVERSATION}/transcript")
@signed_in()
def export_transcript(conversation_id: int) -> ResponseReturnValue:
    def export(session: Session, reason: str, now: datetime) -> ResponseReturnValue:
        found = services.of()
        text = transcript.export(
            session, conversation_id, g.counsellor, reason, found.keys, found.content, now
        )
        return attachment(text, "text/plain", transcript.file_name(conversation_id))

    return _with_reason(conversation_id, export, "step_in.not_exported")


@bp.post(f"{CONVERSATION}/reveal")
@signed_in()
def reveal_number(conversation_id: int) -> ResponseReturnValue:
    def show(session: Session, reason: str, now: datetime) -> ResponseReturnValue:
        number = reveal.reveal(
            session, conversation_id, g.counsellor, reason, services.of().keys, now
        )
        # Shown once on a page of its own, never put in the session or a flash message,
        # so the number is in no cookie and in no later page.
        return render_template(
            "console/revealed.html", conversation_id=conversation_id, number=number
        )

    return _with_reason(conversation_id, show, "step_in.not_revealed")


def _with_reason(
    conversation_id: int,
    action: Callable[[Session, str, datetime], ResponseReturnValue],
    refused: str,
) -> ResponseReturnValue:
    """Run an action that needs a written reason; a refusal goes back to the page, saying why."""
    session = get_session()
    try:
        answer = action(session, request.form.get("reason", ""), datetime.now(UTC))
    except (errors.NotFound, errors.NotPermitted) as error:
        abort(ERROR_STATUS[type(error)], description=refusal(error))
    except errors.HandoffError as error:
        session.rollback()
        flash(say(refused, error=refusal(error)), "error")
        return redirect(url_for("console.conversation", conversation_id=conversation_id))
    # The audit entry and the answer go together: committed before anything is shown.
    session.commit()
    return answer
