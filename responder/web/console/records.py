"""What the console's records say: a message's delivery, a kind of local help, an audit entry.

The stored codes ("delivered", "police", "unflag") are the same in every language; the
words for them are catalogue phrases (words/<lang>/records.toml), said in the language of
the page being drawn each time they are read, so one table serves every counsellor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from responder.delivery import reasons
from responder.staff import audit
from responder.web.console import bp
from responder.web.console.words import catalogues, say


class Phrases(Mapping[str, str]):
    """A catalogue table by its codes, each said in the page's language when read.

    Read like the dict it replaces (`words.get(status, status)`); `dict(phrases)` gives a
    plain dict for a page to carry to its scripts.
    """

    def __init__(self, table: str, codes: Iterable[str]) -> None:
        self._table = table
        self._codes = tuple(codes)

    def __getitem__(self, code: str) -> str:
        if code not in self._codes:
            raise KeyError(code)
        return say(f"{self._table}.{code}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


def _table(name: str) -> Phrases:
    # The codes are the English catalogue's keys of the table: a translation has the same.
    prefix = f"{name}."
    english = catalogues()["en"]
    return Phrases(name, (key.removeprefix(prefix) for key in english if key.startswith(prefix)))


# A message's delivery in words. Held, pending and failed messages add the stored
# reason, which delivery writes in words already.
STATUS_WORDS = _table("status")
# The kinds of local help, by their role in the content's resources.
ROLE_NAMES = _table("resource_role")
# The audit log's actions in words, as the log page names them.
ACTION_WORDS = _table("action")
# The texters' languages named in the counsellor's language ("anglais" in French). A
# language the content gains before the catalogues do shows its content name instead.
LANGUAGE_NAMES = _table("texter_language")
# A block's usual lengths have words of their own; hours is None for "until lifted".
BLOCKS = {
    24: "audit_detail.block_24",
    168: "audit_detail.block_168",
    None: "audit_detail.block_lifted",
}


@bp.app_template_filter("console_audit_detail")
def audit_detail(entry: audit.AuditView) -> str:
    """Say what an audit entry's detail means, or nothing when it has none."""
    detail, action = entry.detail, entry.action
    if action == "block":
        hours = detail.get("hours")
        known = BLOCKS.get(hours) if hours is None or isinstance(hours, int) else None
        return say(known) if known else say("audit_detail.block_hours", hours=hours)
    if action == "close" and detail.get("flood") in ("prank", "abusive"):
        return say(f"audit_detail.flood_{detail['flood']}")
    if action == "transfer":
        return say("audit_detail.transfer", to=detail.get("to"))
    if action == "take_over":
        return say("audit_detail.take_over", holder=detail.get("from"))
    if action in ("reveal", "transcript"):
        return say("audit_detail.reveal", reason=detail.get("reason"))
    if action in ("flag", "unflag", "view"):
        return _texter_detail(action, detail)
    if action.startswith("account_"):
        return _account_detail(detail)
    if action == "token_revoke":
        return say("audit_detail.token", token=detail.get("token"), username=detail.get("username"))
    if action == "audit_export":
        return _export_detail(detail)
    return ""


def _export_detail(detail: dict[str, object]) -> str:
    # The filters as the address had them, so a reader can ask for the same list.
    filters = detail.get("filters")
    asked = filters if isinstance(filters, dict) else {}
    shown = ", ".join(f"{k}={v}" for k, v in asked.items() if k != "views")
    return say("audit_detail.export", filters=shown) if shown else say("audit_detail.export_all")


def _texter_detail(action: str, detail: Mapping[str, object]) -> str:
    # A flag names its label (and its last day, where the entry has one); lifting one
    # names the flag lifted; a view with "via" read an earlier conversation from a later one.
    if action == "flag" and "label" in detail:
        if detail.get("until"):
            return say("audit_detail.flag_until", label=detail["label"], until=detail["until"])
        return say("audit_detail.flag", label=detail["label"])
    if action == "unflag" and "label" in detail:
        return say("audit_detail.unflag_label", label=detail["label"])
    if action == "unflag" and "flag" in detail:  # entries written before labels were kept
        return say("audit_detail.unflag", flag=detail["flag"])
    if action == "view" and "via" in detail:
        return say("audit_detail.view_via", via=detail["via"])
    return ""


def _account_detail(detail: Mapping[str, object]) -> str:
    username = detail.get("username")
    role = detail.get("role")
    if role is None:
        return say("audit_detail.account", username=username)
    # A role the catalogue names is said in the page's language, any other as stored.
    named = f"role.{role}"
    role_words = say(named) if named in catalogues()["en"] else role
    return say("audit_detail.account_role", username=username, role=role_words)


def reason_said(stored: str) -> str:
    """Why a message stopped, in the page's language when the stored reason is one of ours.

    Reasons the helpline does not name (a network error's own words, "Twilio error 12345")
    show as stored.
    """
    retrying = stored.startswith(reasons.RETRYING)
    reason = stored.removeprefix(reasons.RETRYING)
    name = reasons.NAMES.get(reason)
    said = say(f"delivery_reason.{name}") if name else reason
    return say("delivery_reason.retrying", reason=said) if retrying else said


def reason_words() -> dict[str, str]:
    """Every reason the helpline names, stored words to the page's, for console.js."""
    stored = [*reasons.NAMES, *(reasons.RETRYING + reason for reason in reasons.NAMES)]
    return {reason: reason_said(reason) for reason in stored}
