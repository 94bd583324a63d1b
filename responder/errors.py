"""Errors that more than one room raises or catches."""

from __future__ import annotations


class AddressError(ValueError):
    """The address is not a phone number we can answer."""


class HandoffError(Exception):
    """A counsellor's or supervisor's action that cannot be done; the message says why.

    The message is English, as the API is. code names the refusal once and for all, and
    values holds what fills its blanks, so that the console can say the same thing in the
    counsellor's own language (its phrase `script.refused.<code>`).
    """

    def __init__(self, message: str, code: str, **values: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


class NotFound(HandoffError):
    """There is no such conversation."""


class NotPermitted(HandoffError):
    """Not the counsellor's to do: another has the conversation, or it needs a supervisor."""


class Conflict(HandoffError):
    """The conversation is not in a state that allows the action, often after a race."""


class Rejected(HandoffError):
    """The request is well formed but its values cannot be accepted."""


class InvalidFields(Rejected):
    """Some fields of a form cannot be accepted; fields says which, and why, in words."""

    def __init__(self, fields: dict[str, str]) -> None:
        count = len(fields)
        super().__init__(
            "the wrap-up needs another look: "
            + ("1 answer is" if count == 1 else f"{count} answers are")
            + " missing or not accepted",
            "wrapup_unaccepted",
            count=count,
        )
        self.fields = fields
