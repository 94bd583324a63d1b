"""Use cases of a conversation. Functions take a Session and never commit: the caller does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.bot import crisis, engine
from responder.bot.content import Content
from responder.bot.crisis_entries import Tier
from responder.bot.keywords import normalise_keyword
from responder.bot.language import MAIN, Language
from responder.channels.transport import Inbound
from responder.conversations import queue
from responder.conversations.blocks import is_blocked
from responder.conversations.hours import Hours
from responder.delivery import alerts, deletions, outbox
from responder.privacy.addresses import Keys, country_of
from responder.store import counts, events
from responder.store.models import Contact, Conversation, Counsellor, Erasure, Event, Message, Note

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit for one message body
# Twilio's opt-out and opt-in words. They are the carrier's, so they are fixed here
# rather than in content, and they win over every state.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# Queue priorities, higher first: crisis words, then sextortion pressure (a deadline,
# images already sent), then a texter who said they are under 18.
CRISIS_PRIORITY, ESCALATED_PRIORITY, UNDER_18_PRIORITY = 100, 20, 10
# How long a texter has to confirm DELETE.
ERASE_CONFIRM_WINDOW = timedelta(minutes=10)
# The rate limit counts a texter's messages per window of this length.
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    """The settings the use cases follow."""

    keys: Keys
    menu_timeout: timedelta = timedelta(minutes=30)
    episode_gap: timedelta = timedelta(hours=24)
    hours: Hours | None = None  # None: open at all times
    queue_when_closed: bool = True
    rate_limit: int = 20  # messages a minute from one texter before they are asked to slow down
    ask_age: bool = True  # ask "are you under 18?" where the answer changes the advice
    oncall: bool = False  # an on-call number is set: crisis marks are also texted to it
    # A texter writing while they wait is answered at most this often.
    waiting_reply_every: timedelta = timedelta(minutes=10)


def receive(
    session: Session, inbound: Inbound, now: datetime, content: Content, policy: Policy
) -> tuple[str, ...]:
    """Record an inbound message and return the replies to send back, in order."""
    # Only a DELETE erases, so only a DELETE can be the redelivery of an erasure; it
    # must not bring the erased texter's number back as a new contact.
    deleting = normalise_keyword(inbound.text) in content.delete_words
    erased = _erased_replies(session, inbound.message_sid, content) if deleting else None
    if erased is not None:
        return erased
    contact, created = _locked_contact(session, inbound, now, policy)
    # A redelivery that raced this one has committed by the time the lock is ours: a
    # sid already stored is answered as it was the first time. One that raced a
    # DELETE found no contact left to lock and created one: undo that.
    stored = _stored_replies(session, inbound.message_sid)
    if stored is None and created and deleting:
        stored = _erased_replies(session, inbound.message_sid, content)
        if stored is not None:
            session.delete(contact)
    if stored is not None:
        return stored
    # Media is never opened here: Twilio's copy is deleted as soon as the worker can.
    deletions.queue_media(session, inbound.message_sid, inbound.media_sids, now)

    if _wants_erasure(contact, inbound, now, content):
        return _erase(session, contact, inbound, now, content)

    # Nobody is thanked for a score after STOP or while blocked: such texters get no replies.
    quiet = contact.opted_out or is_blocked(contact, now)
    current, survey = (
        (None, None) if created else _recent_conversations(session, contact, now, policy)
    )
    if survey is not None and not quiet:
        if _survey_score(inbound.text) is not None:
            return _answer_survey(session, survey, inbound, now, content)
        # They wrote about something else: that is a new conversation, not an answer.
        survey.survey_pending = False

    # Texts are held only in a WhatsApp conversation, or in an earlier episode when a new
    # one starts: a texter on SMS all along has none to look for.
    may_hold = not created and (current is None or "whatsapp" in (current.channel, inbound.channel))
    conversation = _open_conversation(session, contact, current, inbound, now, content, policy)
    message = Message(
        conversation=conversation,
        direction="in",
        twilio_sid=inbound.message_sid,
        body=inbound.text or None,
        media_count=inbound.media_count,
        created_at=now,
    )
    session.add(message)
    _count_towards_rate(conversation, now)
    replies, page = _decide(session, contact, conversation, inbound, now, content, policy)
    conversation.last_message_at = now
    # The texter wrote, so WhatsApp's 24-hour window is open again.
    if may_hold:
        outbox.release_held(session, conversation, now)
    events.record(session, "message", now, conversation)
    _store_replies(session, conversation, message, replies, page, now)
    log.info(
        "inbound message sid=%s conversation=%s channel=%s media=%d replies=%d",
        inbound.message_sid,
        conversation.id,
        inbound.channel,
        inbound.media_count,
        len(replies),
    )
    return replies


def _decide(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    inbound: Inbound,
    now: datetime,
    content: Content,
    policy: Policy,
) -> tuple[tuple[str, ...], str | None]:
    """Choose the replies: compliance words first, then what the state calls for."""
    lang = content.language(conversation.language)
    word = normalise_keyword(inbound.text)
    # With Twilio's Advanced Opt-Out the texter has already had Twilio's answer.
    provider_replied = inbound.opt_out_type is not None

    if inbound.opt_out_type == "STOP" or word in STOP_WORDS:
        if not contact.opted_out:
            contact.opted_out, contact.opted_out_at = True, now
            log.info("contact opted out conversation=%s", conversation.id)
        return (), None
    # Crisis words are looked for in every message and every state, before anything
    # else may decide to stay quiet: only STOP stands above them.
    tier = crisis.detect(inbound.text, content.crisis_lists)
    if tier == Tier.T1:
        # Like any message but DELETE, crisis words cancel a request to erase.
        contact.erase_requested_at = None
        reply = _crisis(session, contact, conversation, now, content, policy)
        return (reply,) if reply else (), None
    if tier == Tier.T2:
        conversation.priority = max(conversation.priority, ESCALATED_PRIORITY)
    # A request to erase waits for DELETE as the very next message; anything else cancels it.
    if word in content.delete_words:
        contact.erase_requested_at = now
        return (lang.messages["delete_confirm"],), None
    if contact.erase_requested_at is not None:
        contact.erase_requested_at = None
    if contact.opted_out:
        if inbound.opt_out_type == "START" or word in START_WORDS:
            contact.opted_out, contact.opted_out_at = False, None
            log.info("contact opted in conversation=%s", conversation.id)
            return ((), None) if provider_replied else ((lang.messages["opted_in"],), None)
        return (), None
    # A blocked sender's messages are kept but get no answer and no place in the queue;
    # STOP, DELETE and crisis words above still work for them.
    if is_blocked(contact, now):
        log.info("message from a blocked sender conversation=%s", conversation.id)
        return (), None
    # A flood from one number gets one notice, then silence until it slows down; the
    # messages are still kept, and crisis words above are answered whatever the rate.
    recent = conversation.rate_window_count
    if recent > policy.rate_limit:
        log.warning("rate limited conversation=%s", conversation.id)
        return (
            ((lang.messages["slow_down"],), None) if recent == policy.rate_limit + 1 else ((), None)
        )
    if inbound.opt_out_type == "HELP" or word in lang.keywords["help"]:
        return ((), None) if provider_replied else ((lang.messages["help"],), None)

    if conversation.age_question_for is not None and conversation.state != "menu":
        # Crisis words put the texter in the queue while the age question was open: a
        # 1 or 2 still answers it, and stays for the counsellor like any message.
        if conversation.state == "waiting":
            _record_age(contact, conversation, engine.Age(True, engine.age_answer(word)))
        conversation.age_question_for = None
    if conversation.state == "counsellor":
        # Everything, MENU included, is for the counsellor now; the bot stays quiet.
        return (), None
    if conversation.state == "waiting":
        if word in lang.keywords["menu"]:
            _leave_queue(session, conversation, now)
            local = content.local(lang.code, contact.country)
            home = lang.render(MAIN, inbound.channel, local, lang.messages["left_queue"])
            return (home,), MAIN
        if word in lang.keywords["talk"]:
            reply = lang.messages["already_waiting"].format(
                position=queue.position(session, conversation)
            )
            return (reply,), None
        if inbound.media_count:
            return (lang.messages["media"],), None
        # Kept for the counsellor who will take the conversation, and answered now and
        # then, so that nobody writes into silence.
        reply = _waiting_reply(session, contact, conversation, now, content, policy)
        return ((reply,) if reply else ()), None

    if inbound.media_count:
        return (lang.messages["media"],), None
    if len(inbound.text) > MAX_BODY:
        return (lang.messages["too_long"],), None
    state = engine.MenuState(
        conversation.page,
        tuple(conversation.history),
        conversation.last_message_at,
        conversation.age_question_for,
    )
    age = engine.Age(contact.age_asked_at is not None, contact.under_18)
    context = engine.Context(
        inbound.channel,
        conversation.language,
        now,
        policy.menu_timeout,
        contact.country,
        age,
        policy.ask_age,
    )
    outcome = engine.step(state, inbound.text, content, context)
    conversation.page = outcome.state.page
    conversation.history = list(outcome.state.history)
    conversation.language = outcome.language
    conversation.age_question_for = outcome.state.age_question_for
    if outcome.age.asked and contact.age_asked_at is None:
        contact.age_asked_at = now
    _record_age(contact, conversation, outcome.age)
    if outcome.country != contact.country:
        # The texter's own word beats the guess from their number (roaming, VPNs).
        contact.country = outcome.country
    if outcome.action == "talk":
        reply = request_person(session, conversation, now, lang, policy)
        return ("\n\n".join((*outcome.replies, reply)),), None
    # The age question is not a page: it is not counted as one read.
    return outcome.replies, None if outcome.state.age_question_for else outcome.page


def _record_age(contact: Contact, conversation: Conversation, age: engine.Age) -> None:
    """Keep the texter's answer to the age question; an under-18 already waiting moves up."""
    if contact.under_18 is not age.under_18:
        contact.under_18 = age.under_18
    if contact.under_18 and conversation.state == "waiting":
        conversation.priority = max(conversation.priority, UNDER_18_PRIORITY)


def _crisis(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    now: datetime,
    content: Content,
    policy: Policy,
) -> str | None:
    """Mark the conversation, put it first in the queue, and answer with the crisis lines.

    Nothing is sent to a texter who opted out, and nothing by the bot while a counsellor
    has the conversation (they see the mark): the mark is recorded all the same. The
    first mark of a conversation is also texted to the on-call number, when one is set.
    """
    if conversation.crisis_at is None:
        conversation.crisis_at = now
        counts.add(session, now, "crisis", conversation=conversation)
        if policy.oncall:
            alerts.queue(session, conversation, now, alerts.CRISIS)
    conversation.priority = max(conversation.priority, CRISIS_PRIORITY)
    # A texter in crisis is queued even when nobody is on duty or the service is
    # closed: the reply then says so, with numbers to call now, and the first person
    # to come on sees them first.
    if conversation.state == "menu":
        conversation.state, conversation.queued_at, conversation.wait_notices = "waiting", now, 0
        events.record(session, "queued", now, conversation)
        counts.add(session, now, "handoffs", conversation=conversation)
    events.record(session, "crisis", now, conversation)
    log.warning("crisis words in conversation=%s state=%s", conversation.id, conversation.state)
    if contact.opted_out or conversation.state == "counsellor":
        return None
    # The texter has been told the numbers; the next message while waiting is
    # answered only after the usual pause.
    conversation.acknowledged_at = now
    lang = content.language(conversation.language)
    free, opens = _availability(session, now, policy)
    turn_to = content.crisis_help(lang.code, contact.country, contact.under_18)
    return lang.crisis_reply(turn_to, free, opens)


def _waiting_reply(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    now: datetime,
    content: Content,
    policy: Policy,
) -> str | None:
    """Answer a message from a texter in the queue, at most once in a while.

    Their place in the queue, honestly: whether a person is free, and after crisis
    words the numbers to call now. In between, messages are kept without an answer, so
    a texter writing a lot is not sent a reply to each one.
    """
    last = conversation.acknowledged_at
    if last is not None and now - last < policy.waiting_reply_every:
        return None
    conversation.acknowledged_at = now
    lang = content.language(conversation.language)
    free, opens = _availability(session, now, policy)
    turn_to = (
        content.crisis_help(lang.code, contact.country, contact.under_18)
        if conversation.crisis_at is not None
        else None
    )
    return lang.waiting_reply(queue.position(session, conversation), free, opens, turn_to)


def _availability(
    session: Session, now: datetime, policy: Policy
) -> tuple[bool, tuple[int, str] | None]:
    """Say whether a person can answer now and, when not, when the service next opens."""
    someone = session.scalars(select(Counsellor.id).where(Counsellor.available)).first()
    if someone is not None and (policy.hours is None or policy.hours.is_open(now)):
        return True, None
    opening = policy.hours.next_opening(now) if policy.hours else None
    return False, (policy.hours.local(opening) if policy.hours and opening else None)


def request_person(
    session: Session, conversation: Conversation, now: datetime, lang: Language, policy: Policy
) -> str:
    """Put the texter in the queue if anyone can answer, and say honestly what happens."""
    open_now, opens = _availability(session, now, policy)
    if open_now or policy.queue_when_closed:
        conversation.state, conversation.queued_at, conversation.wait_notices = "waiting", now, 0
        if conversation.contact is not None and conversation.contact.under_18:
            conversation.priority = max(conversation.priority, UNDER_18_PRIORITY)
        events.record(session, "queued", now, conversation)
        counts.add(session, now, "handoffs", conversation=conversation)
        log.info("texter queued conversation=%s open=%s", conversation.id, open_now)
    if open_now:
        wait = queue.expected_wait(session, now)
        minutes = None if wait is None else queue.wait_minutes(wait)
        return lang.queued(queue.position(session, conversation), minutes)
    return lang.nobody_free(opens, queued=conversation.state == "waiting")


def _leave_queue(session: Session, conversation: Conversation, now: datetime) -> None:
    conversation.state, conversation.queued_at = "menu", None
    conversation.page, conversation.history = MAIN, []
    events.record(session, "left_queue", now, conversation)


def _store_replies(
    session: Session,
    conversation: Conversation,
    message: Message,
    replies: tuple[str, ...],
    page: str | None,
    now: datetime,
) -> None:
    """Keep the TwiML replies, so a redelivery gets them again and the transcript shows them.

    Everything the message changed is written in this one flush, which also gives a
    new conversation the id the log line names.
    """
    if page is not None:
        counts.add(session, now, "pages", conversation=conversation, detail=page)
    for reply in replies:
        session.add(
            Message(
                conversation=conversation,
                direction="out",
                body=reply,
                in_reply_to=message,
                page=page,
                created_at=now,
            )
        )
    session.flush()


def _recent_conversations(
    session: Session, contact: Contact, now: datetime, policy: Policy
) -> tuple[Conversation | None, Conversation | None]:
    """Return the contact's open conversation and the just-closed one whose survey
    question is still open, either None, in one query.

    Both rows stay locked until the request commits: a counsellor's claim changes the
    conversation without touching the contact, so the contact's lock alone would let
    this message write the state it read over a claim that landed meanwhile.
    """
    found = session.scalars(
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            or_(
                Conversation.closed_at.is_(None),
                and_(
                    Conversation.survey_pending, Conversation.closed_at >= now - policy.episode_gap
                ),
            ),
        )
        .order_by(Conversation.id.desc())
        .with_for_update(key_share=True)
    ).all()
    current = next((c for c in found if c.closed_at is None), None)
    survey = next((c for c in found if c.closed_at is not None), None)
    return current, survey


def _survey_score(text: str) -> int | None:
    """Read a 1-5 answer; anything else is a new message, not an answer."""
    word = normalise_keyword(text)
    return int(word) if word in {"1", "2", "3", "4", "5"} else None


def _answer_survey(
    session: Session, conversation: Conversation, inbound: Inbound, now: datetime, content: Content
) -> tuple[str, ...]:
    conversation.survey_pending = False
    conversation.survey_answer = str(_survey_score(inbound.text))
    message = Message(
        conversation=conversation,
        direction="in",
        twilio_sid=inbound.message_sid,
        body=inbound.text,
        created_at=now,
    )
    session.add(message)
    replies = (content.language(conversation.language).messages["survey_thanks"],)
    _store_replies(session, conversation, message, replies, None, now)
    log.info("survey answered conversation=%s", conversation.id)
    return replies


def _count_towards_rate(conversation: Conversation, now: datetime) -> None:
    """Count this message in the texter's current minute, or start a new minute with it.

    Fixed windows: a flood straddling two of them may get up to twice the limit
    answered before the notice, which is still a flood slowed down.
    """
    start = conversation.rate_window_start
    if start is None or now - start >= RATE_WINDOW:
        conversation.rate_window_start, conversation.rate_window_count = now, 1
    else:
        conversation.rate_window_count += 1


def _wants_erasure(contact: Contact, inbound: Inbound, now: datetime, content: Content) -> bool:
    """Is this the DELETE that confirms an erasure?

    A texter who opted out cannot see the confirmation question, so their DELETE is taken
    as meant; anyone else confirms with DELETE as the very next message.
    """
    if normalise_keyword(inbound.text) not in content.delete_words:
        return False
    asked = contact.erase_requested_at
    return contact.opted_out or (asked is not None and now - asked <= ERASE_CONFIRM_WINDOW)


def _erase(
    session: Session, contact: Contact, inbound: Inbound, now: datetime, content: Content
) -> tuple[str, ...]:
    """Delete the contact and everything held under them; keep only an anonymous receipt.

    Bulk deletes, not the ORM's cascade, so nothing is loaded just to be removed.
    Counts for statistics never held the number, so they are not touched.
    """
    language = (
        session.scalars(
            select(Conversation.language)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.id.desc())
        ).first()
        or content.default_language
    )
    conversations = select(Conversation.id).where(Conversation.contact_id == contact.id)
    # Twilio keeps its own copy of every message with a sid: the texter's, and those
    # sent through the outbox. TwiML replies have no sid we know, so they stay there.
    held_at_twilio = session.scalars(
        select(Message.twilio_sid).where(
            Message.conversation_id.in_(conversations), Message.twilio_sid.is_not(None)
        )
    ).all()
    deletions.queue_messages(session, [*held_at_twilio, inbound.message_sid], now)
    for model in (Note, Event, Message):
        session.execute(delete(model).where(model.conversation_id.in_(conversations)))
    session.execute(delete(Conversation).where(Conversation.contact_id == contact.id))
    session.execute(delete(Contact).where(Contact.id == contact.id))
    session.expunge(contact)
    replied = "" if contact.opted_out else language
    session.add(Erasure(message_sid=inbound.message_sid, language=replied, created_at=now))
    events.record(session, "erased", now, None)
    counts.add(session, now, "erasures", country=contact.country, language=language)
    log.info("contact erased sid=%s", inbound.message_sid)
    return _erased_reply(content, replied)


def _erased_reply(content: Content, language: str) -> tuple[str, ...]:
    return (content.language(language).messages["erased"],) if language else ()


def _erased_replies(session: Session, sid: str, content: Content) -> tuple[str, ...] | None:
    """Return the answer to an erasing DELETE arriving again, or None if sid erased nothing."""
    erasure = session.get(Erasure, sid)
    return None if erasure is None else _erased_reply(content, erasure.language)


def _stored_replies(session: Session, sid: str) -> tuple[str, ...] | None:
    """Return the replies given the first time a MessageSid arrived, or None if it is new."""
    first = session.scalars(select(Message.id).where(Message.twilio_sid == sid)).first()
    if first is None:
        return None
    bodies = session.scalars(
        select(Message.body).where(Message.in_reply_to_id == first).order_by(Message.id)
    )
    return tuple(body or "" for body in bodies)


def _locked_contact(
    session: Session, inbound: Inbound, now: datetime, policy: Policy
) -> tuple[Contact, bool]:
    """Find or create the contact, hold its row lock until the request commits, and
    say whether this request created it.

    The lock serialises every message of one texter, so two deliveries of the same
    message, or two quick messages, cannot both read the same menu state.
    """
    digest = policy.keys.hash(inbound.address)
    query = select(Contact).where(Contact.address_hash == digest).with_for_update()
    contact = session.scalars(query).one_or_none()
    if contact is not None:
        return contact, False
    contact = Contact(
        address_hash=digest,
        address_encrypted=policy.keys.encrypt(inbound.address),
        country=country_of(inbound.address),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # A concurrent request created the contact first and has committed since.
        return session.scalars(query).one(), False
    return contact, True


def _open_conversation(
    session: Session,
    contact: Contact,
    conversation: Conversation | None,
    inbound: Inbound,
    now: datetime,
    content: Content,
    policy: Policy,
) -> Conversation:
    """Return the contact's current episode, closing a quiet one and starting anew."""
    if conversation is not None and now - conversation.last_message_at >= policy.episode_gap:
        conversation.state, conversation.closed_at = "closed", now
        conversation = None
    if conversation is None:
        conversation = Conversation(
            contact=contact,
            channel=inbound.channel,
            helpline_address=inbound.helpline_address,
            state="menu",
            # A texter starts in the language of their country; they can switch.
            language=content.language_for(contact.country),
            history=[],
            started_at=now,
            last_message_at=now,
            # Column defaults arrive only at the flush, and this very message may raise
            # the priority or count towards the rate limit before then.
            priority=0,
            wait_notices=0,
            rate_window_count=0,
            survey_pending=False,
        )
        session.add(conversation)
        counts.add(session, now, "contacts", conversation=conversation)
    # Replies go back the way the texter last wrote.
    conversation.channel = inbound.channel
    conversation.helpline_address = inbound.helpline_address
    return conversation
