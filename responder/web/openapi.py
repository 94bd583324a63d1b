"""The OpenAPI 3.1 description of the counsellor API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from responder.conversations.blocks import HOURS
from responder.conversations.receiving import MAX_BODY
from responder.counselling.handoff import CATEGORIES, LOCAL_TAGS, MAX_NOTE
from responder.counselling.reveal import MAX_REASON, MIN_REASON
from responder.counselling.views import MEDIA_WITHHELD
from responder.staff.audit import ACTIONS
from responder.store.events import KINDS

PREFIX = "/api/v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **extra}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _request(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _ok(schema: str, description: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": _json(_ref(schema))}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*statuses: str) -> dict[str, Any]:
    return {
        status: {"$ref": f"#/components/responses/{ERROR_NAMES[status]}"} for status in statuses
    }


ERROR_NAMES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "422": "Unprocessable",
}
ERROR_TEXT = {
    "400": "The body is not a JSON object, a field is missing, unknown or of the wrong type, "
    "a text holds a NUL or an unpaired surrogate character, or a query parameter is invalid.",
    "401": "No bearer token, or one that is not known, and no signed-in console session "
    "with its X-CSRF-Token header.",
    "403": "The conversation is not yours to act on, or the action is for supervisors and "
    "admins only.",
    "404": "There is no such conversation.",
    "409": "The conversation is not in a state that allows this, often because someone else "
    "acted first.",
    "422": "The values cannot be accepted: see the message.",
}

TIME = {"type": "string", "format": "date-time"}
CONVERSATION_ID = {
    "name": "conversation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
}

STATE_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"},
    "state": {"type": "string", "enum": ["menu", "waiting", "counsellor", "closed"]},
    "counsellor": _nullable("string", description="username of the counsellor who has it"),
    "claimed_at": _nullable("string", format="date-time"),
    "closed_at": _nullable("string", format="date-time"),
    "category": {"oneOf": [_ref("Category"), {"type": "null"}]},
    "secondary": {"type": "array", "items": _ref("SecondaryTag")},
    "survey_pending": {
        "type": "boolean",
        "description": "the survey question was sent and is not answered yet",
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": {"type": "string", "description": "what went wrong, for people"}}),
    "Category": {
        "type": "string",
        "enum": list(CATEGORIES),
        "description": "Contact category after Child Helpline International's classification "
        "(safeguarding.md section 8). adult/* is the bucket for texters 18 or over, outside "
        "CHI statistics; age_unknown when no age was given.",
    },
    "SecondaryTag": {
        "type": "string",
        "enum": [*CATEGORIES, *LOCAL_TAGS],
        "description": "A secondary category, or a local tag: " + ", ".join(LOCAL_TAGS) + ".",
    },
    "QueueItem": _object(
        {
            "id": {"type": "integer"},
            "priority": {"type": "integer", "description": "higher first"},
            "crisis_at": _nullable(
                "string", format="date-time", description="crisis words came in; null if none"
            ),
            "position": {"type": "integer", "minimum": 1, "description": "place in the queue"},
            "queued_at": TIME,
            "waiting_seconds": {"type": "integer", "minimum": 0},
            "channel": {"type": "string", "enum": ["sms", "whatsapp"]},
            "country": _nullable("string", description="ISO 3166 alpha-2, from the number"),
            "language": {"type": "string"},
            "masked_number": {"type": "string", "examples": ["+44 •••• ••• 123"]},
            "under_18": _nullable(
                "boolean",
                description="the texter's answer to the age question; null if not known",
            ),
        }
    ),
    "QueuePage": _object(
        {
            "items": {"type": "array", "items": _ref("QueueItem")},
            "next_cursor": _nullable(
                "string", description="pass as cursor for the next page; null on the last page"
            ),
            "total": {"type": "integer", "description": "conversations waiting now"},
            "expected_wait_seconds": _nullable(
                "integer", description="median of recent waits; null with no recent claims"
            ),
        }
    ),
    "Message": _object(
        {
            "id": {"type": "integer"},
            "direction": {"type": "string", "enum": ["in", "out"]},
            "author": {
                "type": "string",
                "description": '"texter", "bot", or the username of the counsellor who wrote it',
            },
            "body": _nullable(
                "string",
                description=f'"{MEDIA_WITHHELD}" for media without text (media is never '
                "fetched); null once the retention period has erased the text",
            ),
            "media_count": {"type": "integer", "minimum": 0},
            "created_at": TIME,
            "status": _nullable(
                "string",
                description="delivery status of a message sent through the outbox (pending, "
                "sending, held, then Twilio's statuses); null for texter messages and bot "
                "replies Twilio sent as the webhook answer",
            ),
            "status_at": _nullable("string", format="date-time"),
            "error_code": _nullable("integer", description="Twilio's error code"),
            "error_message": _nullable("string"),
        }
    ),
    "Note": _object(
        {
            "id": {"type": "integer"},
            "author": {"type": "string"},
            "body": {"type": "string"},
            "created_at": TIME,
        }
    ),
    "PageRead": _object(
        {
            "id": {"type": "string"},
            "title": _nullable("string", description="null if the page left the content"),
        }
    ),
    "ConversationState": _object(STATE_FIELDS, "A conversation's state after an action."),
    "Conversation": _object(
        {
            **STATE_FIELDS,
            "channel": {"type": "string", "enum": ["sms", "whatsapp"]},
            "masked_number": _nullable(
                "string", description="never the full number; null once anonymised"
            ),
            "country": _nullable("string"),
            "blocked": {
                "type": "boolean",
                "description": "the texter is blocked now: the bot stays silent and the queue "
                "shut, except for crisis words",
            },
            "blocked_until": _nullable(
                "string",
                format="date-time",
                description="when the block ends; null when not blocked or blocked until lifted",
            ),
            "under_18": _nullable(
                "boolean",
                description="the texter's answer to the age question; null if not known",
            ),
            "language": {"type": "string"},
            "priority": {"type": "integer"},
            "crisis_at": _nullable(
                "string", format="date-time", description="crisis words came in; null if none"
            ),
            "started_at": TIME,
            "queued_at": _nullable("string", format="date-time"),
            "survey_answer": _nullable("string", description="the texter's 1-5 answer"),
            "whatsapp_window_ends_at": _nullable(
                "string",
                format="date-time",
                description="when WhatsApp's 24-hour window for free-form replies closes, "
                "counted from the texter's latest message; null on SMS or once anonymised",
            ),
            "pages_read": {
                "type": "array",
                "items": _ref("PageRead"),
                "description": "pages the bot showed, in order",
            },
            "messages": {"type": "array", "items": _ref("Message")},
            "notes": {"type": "array", "items": _ref("Note")},
        }
    ),
    "Counsellor": _object(
        {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["counsellor", "supervisor", "admin"]},
            "available": {"type": "boolean"},
            "max_open": {"type": "integer", "description": "limit of open conversations"},
            "open_conversations": {"type": "array", "items": {"type": "integer"}},
        }
    ),
    "HeldConversation": _object(
        {
            "id": {"type": "integer"},
            "channel": {"type": "string", "enum": ["sms", "whatsapp"]},
            "priority": {"type": "integer"},
            "crisis_at": _nullable(
                "string", format="date-time", description="crisis words came in; null if none"
            ),
            "unread": {
                "type": "integer",
                "minimum": 0,
                "description": "messages from the texter you have not read; your own and the "
                "bot's never count",
            },
            "crisis_unread": {
                "type": "boolean",
                "description": "the crisis words came in a message you have not read",
            },
        },
        "A conversation you hold.",
    ),
    "Caseload": _object(
        {"items": {"type": "array", "items": _ref("HeldConversation")}},
        "The conversations you hold: crisis first, then the longest held.",
    ),
    "ReadRequest": _object(
        {
            "up_to": {
                "type": "integer",
                "minimum": 0,
                "description": "the id of the last message you have read",
            }
        }
    ),
    "ReadMark": _object(
        {
            "conversation_id": {"type": "integer"},
            "up_to": {
                "type": "integer",
                "minimum": 0,
                "description": "the last message read, 0 for none",
            },
            "unread": {"type": "integer", "minimum": 0},
        },
        "How far you have read a conversation.",
    ),
    "Event": _object(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": sorted(KINDS)},
            "conversation_id": _nullable("integer"),
            "created_at": TIME,
        }
    ),
    "EventPage": _object(
        {
            "items": {"type": "array", "items": _ref("Event")},
            "next_cursor": {
                "type": "string",
                "description": "pass as after next time; unchanged when nothing is new",
            },
        }
    ),
    "MessageRequest": _object(
        {
            "body": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_BODY,
                "description": "sent exactly as written; not blank",
            }
        }
    ),
    "NoteRequest": _object({"body": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE}}),
    "TransferRequest": _object({"to": {"type": "string", "description": "a username"}}),
    "CloseRequest": {
        "type": "object",
        "properties": {
            "category": _ref("Category"),
            "secondary": {
                "type": "array",
                "items": _ref("SecondaryTag"),
                "default": [],
                "description": "repeated tags are kept once",
            },
            "survey": {
                "type": "boolean",
                "default": False,
                "description": "send the texter the one-question survey (not after STOP)",
            },
        },
        "required": ["category"],
        "additionalProperties": False,
    },
    "AvailabilityRequest": _object({"available": {"type": "boolean"}}),
    "BlockRequest": _object(
        {
            "hours": {
                "type": ["integer", "null"],
                "enum": [*HOURS, None],
                "description": "how long the block lasts; null for until someone lifts it",
            }
        }
    ),
    "RevealRequest": _object(
        {
            "reason": {
                "type": "string",
                "minLength": MIN_REASON,
                "maxLength": MAX_REASON,
                "description": f"why you need the number; at least {MIN_REASON} characters "
                "besides surrounding spaces. Kept in the audit log: do not write the number.",
            }
        }
    ),
    "Address": _object(
        {"address": {"type": "string", "description": "the full number, E.164"}},
        "A texter's number, shown once to a supervisor.",
    ),
    "AuditEntry": _object(
        {
            "id": {"type": "integer"},
            "at": TIME,
            "counsellor": _nullable("string", description="username of who acted"),
            "action": {"type": "string", "enum": sorted(ACTIONS)},
            "conversation_id": _nullable(
                "integer",
                description="null once the texter erased themselves, and for account changes",
            ),
            "detail": {
                "type": "object",
                "description": "hours for block (null: until lifted), reason for reveal, to "
                "(a username) for transfer, username (and role when added) for account "
                "changes; never message text or a number",
            },
        }
    ),
    "AuditPage": _object(
        {
            "items": {"type": "array", "items": _ref("AuditEntry")},
            "next_cursor": {
                "type": "string",
                "description": "pass as after next time; unchanged when nothing is new",
            },
        }
    ),
}

CONVERSATION_ACTIONS: dict[str, Any] = {
    "claim": {
        "summary": "Claim a waiting conversation",
        "description": "Atomic: of simultaneous claims exactly one wins and the others get "
        "409. A counsellor at their limit of open conversations gets 422.",
        "responses": {
            **_ok("ConversationState", "Claimed"),
            **_errors("401", "404", "409", "422"),
        },
    },
    "messages": {
        "summary": "Send the texter a message",
        "description": "Goes to the outbox and is delivered by the worker, exactly as "
        "written. Only the counsellor who has the conversation. 409 if the texter sent STOP.",
        "requestBody": _request("MessageRequest"),
        "responses": {
            **_ok("Message", "Queued for delivery", "202"),
            **_errors("400", "401", "403", "404", "409", "422"),
        },
    },
    "notes": {
        "summary": "Add a private note",
        "description": "Never sent to the texter. Only the counsellor who has the "
        "conversation, or closed it.",
        "requestBody": _request("NoteRequest"),
        "responses": {
            **_ok("Note", "Added", "201"),
            **_errors("400", "401", "403", "404", "422"),
        },
    },
    "transfer": {
        "summary": "Hand the conversation to another counsellor",
        "description": "By its counsellor, or by a supervisor or admin to reassign any "
        "conversation. The receiver must exist and be under their limit (422 otherwise). "
        "The texter is not greeted again.",
        "requestBody": _request("TransferRequest"),
        "responses": {
            **_ok("ConversationState", "Transferred"),
            **_errors("400", "401", "403", "404", "409", "422"),
        },
    },
    "release": {
        "summary": "Hand the texter back to the menu",
        "description": "By its counsellor, or a supervisor or admin. The texter is told in a "
        "short message.",
        "responses": {
            **_ok("ConversationState", "Released"),
            **_errors("401", "403", "404", "409"),
        },
    },
    "close": {
        "summary": "Close the conversation with its contact categories",
        "description": "By its counsellor, or a supervisor or admin. With survey, the texter "
        "is asked one question; the answer shows as survey_answer.",
        "requestBody": _request("CloseRequest"),
        "responses": {
            **_ok("ConversationState", "Closed"),
            **_errors("400", "401", "403", "404", "409", "422"),
        },
    },
    "block": {
        "summary": "Block the texter",
        "description": "For 24 or 168 hours, or until lifted. The texter's messages are kept "
        "but get no reply, and they cannot join the queue; if waiting, they leave it. Crisis "
        "words still get the crisis reply and a place at the front of the queue, and STOP and "
        "DELETE still work. By any counsellor who may see the conversation (theirs, or "
        "waiting), or a supervisor or admin. 409 once the conversation is anonymised.",
        "requestBody": _request("BlockRequest"),
        "responses": {
            **_ok("Conversation", "Blocked"),
            **_errors("401", "403", "404", "409", "422"),
        },
    },
    "unblock": {
        "summary": "Lift the texter's block",
        "description": "Takes no body. The same people may unblock as may block.",
        "responses": {
            **_ok("Conversation", "Unblocked"),
            **_errors("401", "403", "404", "409"),
        },
    },
    "read": {
        "summary": "Mark the conversation read up to a message",
        "description": "Kept per counsellor on the server, so every tab and computer agrees. "
        "A mark never moves back, and one past the latest message stops there. By anyone who "
        "may see the conversation. Only the texter's messages count as unread.",
        "requestBody": _request("ReadRequest"),
        "responses": {
            **_ok("ReadMark", "Marked"),
            **_errors("401", "403", "404", "422"),
        },
    },
    "reveal": {
        "summary": "Show the texter's full number, for a written reason",
        "description": "Supervisors and admins only. The reason goes into the audit log with "
        "who asked and when. The answer must not be stored: it carries Cache-Control: "
        "no-store.",
        "requestBody": _request("RevealRequest"),
        "responses": {
            "200": {
                "description": "The number",
                "headers": {
                    "Cache-Control": {
                        "schema": {"type": "string", "const": "no-store"},
                        "description": "no-store",
                    }
                },
                "content": _json(_ref("Address")),
            },
            **_errors("401", "403", "404", "409", "422"),
        },
    },
}

PATHS: dict[str, Any] = {
    f"{PREFIX}/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": _json({})}},
        }
    },
    f"{PREFIX}/queue": {
        "get": {
            "summary": "List waiting conversations",
            "description": "Highest priority first, then the longest wait.",
            "parameters": [
                LIMIT,
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "next_cursor of the previous page",
                },
            ],
            "responses": {**_ok("QueuePage", "A page of the queue"), **_errors("400", "401")},
        }
    },
    f"{PREFIX}/conversations/{{conversation_id}}": {
        "parameters": [CONVERSATION_ID],
        "get": {
            "summary": "Show a conversation",
            "description": "For the counsellor who has it (or closed it), for any counsellor "
            "while it waits, and for supervisors and admins.",
            "responses": {
                **_ok("Conversation", "The conversation"),
                **_errors("401", "403", "404"),
            },
        },
    },
    **{
        f"{PREFIX}/conversations/{{conversation_id}}/{action}": {
            "parameters": [CONVERSATION_ID],
            "post": operation,
        }
        for action, operation in CONVERSATION_ACTIONS.items()
    },
    f"{PREFIX}/me": {
        "get": {
            "summary": "Show your account",
            "responses": {**_ok("Counsellor", "Your account"), **_errors("401")},
        }
    },
    f"{PREFIX}/me/conversations": {
        "get": {
            "summary": "List the conversations you hold, with what is unread",
            "responses": {**_ok("Caseload", "Your conversations"), **_errors("401")},
        }
    },
    f"{PREFIX}/me/availability": {
        "put": {
            "summary": "Say whether you can take new texters",
            "requestBody": _request("AvailabilityRequest"),
            "responses": {**_ok("Counsellor", "Your account"), **_errors("400", "401")},
        }
    },
    f"{PREFIX}/events": {
        "get": {
            "summary": "List changes after a cursor",
            "description": "A change feed for live pages: which conversation changed and how, "
            "never any text. Poll with the last next_cursor. Ids are given out when a change "
            "is written and become visible when it commits, so on a busy helpline an event "
            "can appear below a cursor already passed: treat the feed as a hint to refresh, "
            "and refresh open pages now and then as well.",
            "parameters": [
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]+$", "default": "0"},
                    "description": "next_cursor of the previous call (a whole number below "
                    "2147483648; others get 400)",
                },
                LIMIT,
            ],
            "responses": {**_ok("EventPage", "Changes, oldest first"), **_errors("400", "401")},
        }
    },
    f"{PREFIX}/audit": {
        "get": {
            "summary": "Read the audit log after a cursor",
            "description": "Supervisors and admins only. Who claimed, replied to, noted, "
            "transferred, released, closed, blocked or unblocked a conversation, and who saw a "
            "number and why; oldest first. Never message text or numbers.",
            "parameters": [
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]+$", "default": "0"},
                    "description": "next_cursor of the previous call (a whole number below "
                    "2147483648; others get 400)",
                },
                LIMIT,
            ],
            "responses": {
                **_ok("AuditPage", "Entries, oldest first"),
                **_errors("400", "401", "403"),
            },
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Helpline Responder counsellor API",
        "version": "1",
        "description": "Counsellors take texters from the queue, reply, keep notes, hand "
        "over, release and close. Authenticate with `Authorization: Bearer <token>` (tokens "
        "from `responder counsellor token NAME`), or, from console pages, with the console's "
        "session cookie and the page's CSRF token in an `X-CSRF-Token` header (a cookie "
        "without the header counts as no credentials). Errors are JSON: "
        '{"error": "message"}. Full phone numbers never appear: numbers are masked.',
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `responder counsellor token NAME`.",
            }
        },
        "schemas": SCHEMAS,
        "responses": {
            ERROR_NAMES[status]: {
                "description": ERROR_TEXT[status],
                "content": _json(_ref("Error")),
                **(
                    {
                        "headers": {
                            "WWW-Authenticate": {
                                "schema": {"type": "string"},
                                "description": 'Bearer realm="responder"',
                            }
                        }
                    }
                    if status == "401"
                    else {}
                ),
            }
            for status in ERROR_NAMES
        },
    },
}
