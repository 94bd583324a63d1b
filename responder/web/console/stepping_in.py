"""A supervisor stepping in: taking a conversation over, its number, its transcript.

Both are plain forms, so that they work before any script has loaded; the use cases
check the role and keep the audit entry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

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
    session = get_session()
    try:
        text = transcript.export(
            session,
            conversation_id,
            g.counsellor,
            request.form.get("reason", ""),
            services.of().keys,
            services.of().content,
            datetime.now(UTC),
        )
    except (errors.NotFound, errors.NotPermitted) as error:
        abort(ERROR_STATUS[type(error)], description=refusal(error))
    except errors.HandoffError as error:
        session.rollback()
        flash(say("step_in.not_exported", error=refusal(error)), "error")
        return redirect(url_for("console.conversation", conversation_id=conversation_id))
    session.commit()
    return attachment(text, "text/plain", transcript.file_name(conversation_id))


@bp.post(f"{CONVERSATION}/reveal")
@signed_in()
def reveal_number(conversation_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        number = reveal.reveal(
            session,
            conversation_id,
            g.counsellor,
            request.form.get("reason", ""),
            services.of().keys,
            datetime.now(UTC),
        )
    except (errors.NotFound, errors.NotPermitted) as error:
        abort(ERROR_STATUS[type(error)], description=refusal(error))
    except errors.HandoffError as error:
        session.rollback()
        flash(say("step_in.not_revealed", error=refusal(error)), "error")
        return redirect(url_for("console.conversation", conversation_id=conversation_id))
    session.commit()
    # Shown once on a page of its own, never put in the session or a flash message,
    # so the number is in no cookie and in no later page.
    return render_template("console/revealed.html", conversation_id=conversation_id, number=number)
