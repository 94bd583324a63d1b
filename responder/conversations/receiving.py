"""Receive an inbound message: record it and decide the replies, by the conversation's state.

The words that win in every state come first (STOP, crisis words, DELETE), then what
keeps a sender from ordinary replies (opted out, blocked, flooding) and HELP, then the
state: the menu, waiting for a person, or with a counsellor. Functions take a Session
and never commit: the caller does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from responder.bot import crisis, engine
from responder.bot.content import Content
from responder.bot.crisis_entries import Tier
from responder.bot.keywords import normalise_keyword
from responder.bot.language import MAIN, Language
from responder.bot.local_help import CrisisHelp
from responder.channels.transport import Inbound
from responder.conversations import episodes, erasure, queue, replies, survey, waiting
from responder.conversations.blocks import is_blocked
from responder.conversations.hours import Hours
from responder.delivery import alerts, deletions, outbox
from responder.privacy.addresses import Keys
from responder.store import counts, rows
from responder.store.rows import ContactRow, ConversationRow

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit for one message body
# Twilio's opt-out and opt-in words. They are the carrier's, so they are fixed here
# rather than in content, and they win over every state.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# The rate limit counts a texter's messages per window of this length.
RATE_WINDOW = timedelta(minutes=1)
# The replies to send, and the content page they show (counted as read), if any.
Answer = tuple[tuple[str, ...], str | None]


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
    # An available counsellor counts as there while seen this recently (staff.presence).
    presence: timedelta = timedelta(seconds=120)


@dataclass(frozen=True)
class _Turn:
    """One inbound message being answered, and all its answer is decided from."""

    session: Session
    contact: ContactRow
    conversation: ConversationRow
    inbound: Inbound
    now: datetime
    content: Content
    policy: Policy
    lang: Language  # the conversation's language as the message came in
    word: str  # the message read as a keyword
    # On-call alerts to queue once the conversation is saved and so has its id.
    alerts: list[str] = field(default_factory=list)

    @property
    def provider_replied(self) -> bool:
        # With Twilio's Advanced Opt-Out the texter has already had Twilio's answer.
        return self.inbound.opt_out_type is not None

    @property
    def turn_to(self) -> CrisisHelp:
        """Where the texter can turn now, by the age and country this message may have set."""
        contact = self.contact
        return self.content.crisis_help(self.lang.code, contact.country, contact.under_18)

    @property
    def flooding(self) -> bool:
        """Is this message past the rate limit of its minute (it is counted already)?"""
        return self.conversation.rate_window_count > self.policy.rate_limit


def receive(
    session: Session, inbound: Inbound, now: datetime, content: Content, policy: Policy
) -> tuple[str, ...]:
    """Record an inbound message and return the replies to send back, in order."""
    # Only a DELETE erases, so only a DELETE can be the redelivery of an erasure; it
    # must not bring the erased texter's number back as a new contact.
    deleting = normalise_keyword(inbound.text) in content.delete_words
    erased = erasure.redelivered(session, inbound.message_sid, content) if deleting else None
    if erased is not None:
        return erased
    contact, created = episodes.locked_contact(session, inbound, now, policy.keys)
    # A redelivery that raced this one has committed by the time the lock is ours: a
    # sid already stored is answered as it was the first time. One that raced a
    # DELETE found no contact left to lock and created one: undo that.
    stored = replies.given(session, inbound.message_sid)
    if stored is None and created and deleting:
        stored = erasure.redelivered(session, inbound.message_sid, content)
        if stored is not None:
            rows.delete_contact(session, contact)
    if stored is not None:
        return stored
    # Media is never opened here: Twilio's copy is deleted as soon as the worker can.
    deletions.queue_media(session, inbound.message_sid, inbound.media_sids, now)

    if erasure.confirms(contact, inbound, now, content):
        return erasure.erase(session, contact, inbound, now, content)

    # Nobody is thanked for a score after STOP or while blocked: such texters get no replies.
    quiet = contact.opted_out or is_blocked(contact, now)
    current, surveyed = (
        (None, None) if created else episodes.recent(session, contact, now, policy.episode_gap)
    )
    if surveyed is not None and not quiet:
        if survey.score(inbound.text) is not None:
            return survey.answer(session, surveyed, inbound, now, content)
        # They wrote about something else: that is a new conversation, not an answer.
        surveyed.survey_pending = False

    # Texts are held for WhatsApp's window, which only a WhatsApp message opens: an SMS
    # from the same texter leaves them, and their invitation, waiting.
    may_hold = not created and inbound.channel == "whatsapp"
    conversation = episodes.current(
        session, contact, current, inbound, now, content, policy.episode_gap
    )
    lang = content.language(conversation.language)
    word = normalise_keyword(inbound.text)
    turn = _Turn(session, contact, conversation, inbound, now, content, policy, lang, word)
    return _answer(turn, may_hold)


def _answer(turn: _Turn, may_hold: bool) -> tuple[str, ...]:
    """Keep the message, decide the replies and keep them too."""
    session, conversation, inbound, now = turn.session, turn.conversation, turn.inbound, turn.now
    _count_towards_rate(conversation, now)
    answer, page = _decide(turn)
    conversation.last_message_at = now
    # The texter wrote, so WhatsApp's 24-hour window is open again.
    if may_hold:
        outbox.release_held(session, turn.contact.id, now)
    replies.store(session, conversation, inbound, answer, page, now)
    for kind in turn.alerts:
        alerts.queue(session, conversation, now, kind)
    log.info(
        "inbound message sid=%s conversation=%s channel=%s media=%d replies=%d",
        inbound.message_sid,
        conversation.id,
        inbound.channel,
        inbound.media_count,
        len(answer),
    )
    return answer


def _decide(turn: _Turn) -> Answer:
    """Choose the replies: words that win in every state first, then the state's own."""
    answer = _keywords(turn)
    if answer is None:
        answer = _held_back(turn)
    if answer is not None:
        return answer
    lang, conversation = turn.lang, turn.conversation
    if turn.inbound.opt_out_type == "HELP" or turn.word in lang.keywords["help"]:
        if turn.provider_replied:
            return (), None
        return (lang.in_danger("help", turn.turn_to),), None
    if conversation.age_question_for is not None and conversation.state != "menu":
        # Crisis words put the texter in the queue while the age question was open: a
        # 1 or 2 still answers it, and stays for the counsellor like any message.
        if conversation.state == "waiting":
            _record_age(turn.contact, conversation, engine.Age(True, engine.age_answer(turn.word)))
        conversation.age_question_for = None
    if conversation.state == "counsellor":
        # Everything, MENU included, is for the counsellor now; the bot stays quiet.
        return (), None
    if conversation.state == "waiting":
        return _waiting(turn)
    return _menu(turn)


def _keywords(turn: _Turn) -> Answer | None:
    """Answer STOP, crisis words and DELETE, which come first in every state; else None."""
    contact, conversation = turn.contact, turn.conversation
    if turn.inbound.opt_out_type == "STOP" or turn.word in STOP_WORDS:
        if not contact.opted_out:
            contact.opted_out, contact.opted_out_at = True, turn.now
            log.info("contact opted out conversation=%s", conversation.id)
        return (), None
    # Crisis words are looked for in every message and every state, before anything
    # else may decide to stay quiet: only STOP stands above them.
    tier = crisis.detect(turn.inbound.text, turn.content.crisis_lists)
    if tier == Tier.T1:
        # Like any message but DELETE, crisis words cancel a request to erase.
        contact.erase_requested_at = None
        reply = _crisis(turn)
        return (reply,) if reply else (), None
    if tier == Tier.T2:
        conversation.priority = max(conversation.priority, waiting.ESCALATED_PRIORITY)
    # A request to erase waits for DELETE as the very next message; anything else cancels it.
    if turn.word in turn.content.delete_words:
        contact.erase_requested_at = turn.now
        return (turn.lang.messages["delete_confirm"],), None
    if contact.erase_requested_at is not None:
        contact.erase_requested_at = None
    return None


def _held_back(turn: _Turn) -> Answer | None:
    """Answer a sender kept from ordinary replies: opted out, blocked or flooding; else None."""
    contact, conversation, lang = turn.contact, turn.conversation, turn.lang
    if contact.opted_out:
        if turn.inbound.opt_out_type == "START" or turn.word in START_WORDS:
            contact.opted_out, contact.opted_out_at = False, None
            log.info("contact opted in conversation=%s", conversation.id)
            return ((), None) if turn.provider_replied else ((lang.messages["opted_in"],), None)
        return (), None
    # A blocked sender's messages are kept but get no answer and no place in the queue;
    # STOP, DELETE and crisis words above still work for them.
    if is_blocked(contact, turn.now):
        log.info("message from a blocked sender conversation=%s", conversation.id)
        return (), None
    # A flood from one number gets one notice, then silence until it slows down; the
    # messages are still kept, and crisis words above are answered whatever the rate.
    if turn.flooding:
        log.warning("rate limited conversation=%s", conversation.id)
        first = conversation.rate_window_count == turn.policy.rate_limit + 1
        return ((lang.in_danger("slow_down", turn.turn_to),), None) if first else ((), None)
    return None


def _waiting(turn: _Turn) -> Answer:
    """Answer a texter in the queue: MENU leaves it, TALK hears their place, the rest waits."""
    lang, conversation = turn.lang, turn.conversation
    if turn.word in lang.keywords["menu"]:
        waiting.leave_queue(turn.session, conversation, turn.now)
        local = turn.content.local(lang.code, turn.contact.country)
        home = lang.render(MAIN, turn.inbound.channel, local, lang.messages["left_queue"])
        return (home,), MAIN
    if turn.word in lang.keywords["talk"]:
        reply = lang.messages["already_waiting"].format(
            position=queue.position(turn.session, conversation)
        )
        return (reply,), None
    if turn.inbound.media_count:
        return (lang.messages["media"],), None
    # Kept for the counsellor who will take the conversation, and answered now and
    # then, so that nobody writes into silence.
    return (_waiting_reply(turn),), None


def _menu(turn: _Turn) -> Answer:
    """Answer a texter in the menu: the engine takes the step, and TALK asks for a person."""
    contact, conversation, inbound, now = turn.contact, turn.conversation, turn.inbound, turn.now
    if inbound.media_count:
        return (turn.lang.messages["media"],), None
    if len(inbound.text) > MAX_BODY:
        return (turn.lang.messages["too_long"],), None
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
        turn.policy.menu_timeout,
        contact.country,
        age,
        turn.policy.ask_age,
    )
    outcome = engine.step(state, inbound.text, turn.content, context)
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
        policy = turn.policy
        reply = waiting.request_person(
            turn.session,
            conversation,
            now,
            turn.lang,
            turn.turn_to.first_emergency,
            policy.hours,
            policy.queue_when_closed,
            policy.presence,
        )
        return ("\n\n".join((*outcome.replies, reply)),), None
    # The age question is not a page: it is not counted as one read.
    return outcome.replies, None if outcome.state.age_question_for else outcome.page


def _record_age(contact: ContactRow, conversation: ConversationRow, age: engine.Age) -> None:
    """Keep the texter's answer to the age question; an under-18 already waiting moves up."""
    if contact.under_18 is not age.under_18:
        contact.under_18 = age.under_18
    if contact.under_18 and conversation.state == "waiting":
        conversation.priority = max(conversation.priority, waiting.UNDER_18_PRIORITY)


def _crisis(turn: _Turn) -> str | None:
    """Mark the conversation, put it first in the queue, and answer with the crisis lines.

    Nothing is sent to a texter who opted out, and nothing by the bot while a counsellor
    has the conversation (they see the mark): the mark is recorded all the same. The
    first mark of a conversation is also texted to the on-call number, when one is set.
    A texter in the queue is sent the crisis lines at most once in waiting_reply_every;
    crisis words in between get the short line with the first number.
    """
    session, contact, conversation, now = turn.session, turn.contact, turn.conversation, turn.now
    # Told already in this wait: set before this message changes anything.
    told = conversation.crisis_at is not None and conversation.state == "waiting"
    if conversation.crisis_at is None:
        conversation.crisis_at = now
        counts.add(session, now, "crisis", conversation=conversation)
        if turn.policy.oncall:
            turn.alerts.append(alerts.CRISIS)
    conversation.priority = max(conversation.priority, waiting.CRISIS_PRIORITY)
    # A texter in crisis is queued even when nobody is on duty or the service is
    # closed: the reply then says so, with numbers to call now, and the first person
    # to come on sees them first.
    if conversation.state == "menu":
        conversation.state, conversation.queued_at, conversation.wait_notices = "waiting", now, 0
        conversation.record("queued", now)
        counts.add(session, now, "handoffs", conversation=conversation)
    conversation.record("crisis", now)
    log.warning("crisis words sid=%s state=%s", turn.inbound.message_sid, conversation.state)
    if contact.opted_out or conversation.state == "counsellor":
        return None
    turn_to = turn.turn_to
    # Crisis words again soon after: marked each time, and answered as any message while
    # waiting is, with the short line and the first number to call, so a texter in
    # distress is never met with silence. A flood typed in crisis words to get past the
    # rate limit gets nothing once past it.
    if told and _answered_lately(conversation, now, turn.policy.waiting_reply_every):
        return None if turn.flooding else turn.lang.waiting_kept(turn_to)
    # The texter has been told the numbers; the next message while waiting is
    # answered only after the usual pause.
    conversation.acknowledged_at = now
    free, opens = waiting.availability(session, now, turn.policy.hours, turn.policy.presence)
    return turn.lang.crisis_reply(turn_to, free, opens)


def _waiting_reply(turn: _Turn) -> str:
    """Answer a message from a texter in the queue; never with silence.

    Their place in the queue, honestly: whether a person is free, and after crisis
    words the numbers to call now. Told that a moment ago, they get one short line
    instead, so a texter writing a lot is not sent the same paragraph to each message.
    """
    conversation, now, lang = turn.conversation, turn.now, turn.lang
    turn_to = turn.turn_to if conversation.crisis_at is not None else None
    if _answered_lately(conversation, now, turn.policy.waiting_reply_every):
        return lang.waiting_kept(turn_to)
    conversation.acknowledged_at = now
    free, opens = waiting.availability(turn.session, now, turn.policy.hours, turn.policy.presence)
    return lang.waiting_reply(queue.position(turn.session, conversation), free, opens, turn_to)


def _answered_lately(conversation: ConversationRow, now: datetime, every: timedelta) -> bool:
    """Was the texter answered while waiting (their place, or the crisis lines) within every?"""
    last = conversation.acknowledged_at
    return last is not None and timedelta(0) <= now - last < every


def _count_towards_rate(conversation: ConversationRow, now: datetime) -> None:
    """Count this message in the texter's current minute, or start a new minute with it.

    Fixed windows: a flood across two may get twice the limit answered, still slowed down.
    """
    start = conversation.rate_window_start
    if start is None or now - start >= RATE_WINDOW:
        conversation.rate_window_start, conversation.rate_window_count = now, 1
    else:
        conversation.rate_window_count += 1
