"""The statistics page: the anonymous counts of a period as charts and tables.

Everything on it comes from the daily counts (responder.reports), never from messages,
so it shows what erasure and retention leave. Figures from 1 to 4 show as "<5".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from responder.reports import charts, export, figures
from responder.staff.auth import SUPERVISING_ROLES
from responder.store.counts import LONGEST_WAIT_MINUTES
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.pages import channel_name
from responder.web.console.records import LANGUAGE_NAMES
from responder.web.console.session import signed_in
from responder.web.console.words import say
from responder.web.console.wrapup_words import answer
from responder.web.downloads import attachment

DEFAULT_DAYS = 30
# Over time: what came in, what reached a person, what was a crisis.
SERIES = ("contacts", "handoffs", "waits", "left_queue", "unanswered", "crisis")
# How the wrap-ups divide, each by the wrap-up question its codes answer.
SHARES = (
    ("wrapup_contact_type", "contact_type"),
    ("wrapup_category", "categories"),
    ("wrapup_referral", "referrals"),
    # What sextortion wrap-ups tell of the incident.
    ("wrapup_first_contact", "first_contact_platform"),
    ("wrapup_threat_from", "threat_platform"),
    ("wrapup_money_demanded", "money_demanded"),
    ("wrapup_money_paid", "money_paid"),
    ("wrapup_images_shared", "images_shared"),
    ("wrapup_deadline", "deadline_given"),
    ("wrapup_age_band", "age_band"),
    ("wrapup_gender", "gender"),
)


@dataclass(frozen=True)
class Share:
    metric: str
    chart: charts.Chart
    empty: str = "stats.none"  # what the page says when the period has none


@bp.get("/stats")
@signed_in(*SUPERVISING_ROLES)
def stats_page() -> ResponseReturnValue:
    within, grain, problem = _asked()
    read = figures.daily(get_session(), within, grain)
    buckets = _buckets(within, grain)
    counted: Counter[tuple[date, str]] = Counter()
    for figure in read.figures:
        counted[figure.day, figure.metric] += figure.count
    totals: Counter[str] = Counter()
    details: dict[str, Counter[str]] = {metric: Counter() for metric, _ in SHARES}
    details["survey"] = Counter()
    waits: Counter[str] = Counter()
    for metric, detail, count in read.totals:
        totals[metric] += count
        if metric in details:
            details[metric][detail] += count
        elif metric == "wait_minutes":
            waits[detail] += count
    rows = [(bucket, [counted[bucket, metric] for metric in SERIES]) for bucket in buckets]
    return render_template(
        "console/stats.html",
        period=within,
        grain=grain,
        grains=figures.GRAINS,
        problem=problem,
        series=SERIES,
        totals={metric: charts.shown(totals[metric]) for metric in SERIES},
        average_wait=_average_wait(totals["wait_seconds"], totals["waits"]),
        # Fewer than SMALL waits could describe one texter: no median or percentile then.
        median_wait=_spread(waits, 0.5),
        wait_p90=_spread(waits, 0.9),
        longest_wait=LONGEST_WAIT_MINUTES,
        rows=[(bucket, [charts.shown(count) for count in counts]) for bucket, counts in rows],
        over_time=charts.columns([(str(bucket), counts[0]) for bucket, counts in rows]),
        shares=[
            Share(
                metric,
                charts.rows([(answer(code, question), n) for code, n in details[metric].items()]),
            )
            for metric, question in SHARES
        ]
        + _survey(details["survey"])
        + _where(within),
        heat=charts.heat(figures.week_by_hour(get_session(), within)),
        weekdays=say("stats.heat.weekdays").split(),
    )


def _survey(scores: Counter[str]) -> list[Share]:
    """The texters' answers to the survey after a close, by score."""
    points = [(say("stats.score", n=score), n) for score, n in scores.items()]
    return [Share("survey", charts.rows(points), "stats.none_survey")]


def _where(within: figures.Period) -> list[Share]:
    """Contacts by country, language and channel, each named in the console's language."""
    session = get_session()
    name = {
        "country": lambda code: code,
        "language": lambda code: LANGUAGE_NAMES.get(code, code),
        "channel": channel_name,
    }
    shares = []
    for dimension in figures.DIMENSIONS:
        found = figures.spread(session, within, "contacts", dimension)
        points = [
            (name[dimension](code) if code else say("stats.not_known"), n)
            for code, n in found.items()
        ]
        shares.append(Share(f"contacts_{dimension}", charts.rows(points), "stats.none_contacts"))
    return shares


@bp.get("/stats.csv")
@signed_in(*SUPERVISING_ROLES)
def stats_download() -> ResponseReturnValue:
    """The page's figures as the CSV the API and `responder stats export` give."""
    within, grain, problem = _asked()
    if problem:
        abort(400, description=say(problem))
    shape = request.args.get("shape", "daily")
    if shape not in export.SHAPES:
        abort(400, description=say("stats.bad_shape"))
    text = export.export(get_session(), within, shape, "csv", grain)
    name = f"helpline-{shape}-{within.start.isoformat()}-to-{within.end.isoformat()}.csv"
    return attachment(text, export.MEDIA_TYPES["csv"], name)


def _asked() -> tuple[figures.Period, str, str | None]:
    """The period and grain the address asks for; the last 30 days when it cannot be."""
    today = datetime.now(UTC).date()
    grain = request.args.get("by", "day")
    if grain not in figures.GRAINS:
        grain = "day"
    try:
        start = _day("from", today - timedelta(days=DEFAULT_DAYS - 1))
        end = _day("to", today)
        return figures.period(start, end, figures.LONGEST_DAYS), grain, None
    except figures.PeriodError:
        fallback = figures.Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
        return fallback, grain, "stats.bad_period"


def _day(name: str, otherwise: date) -> date:
    raw = request.args.get(name, "")
    return figures.day(raw) if raw else otherwise


def _buckets(within: figures.Period, grain: str) -> list[date]:
    """Every day, week or month of the period, empty ones too, each by its first day."""
    found: list[date] = []
    for offset in range(within.days):
        bucket = max(figures.start_of(within.start + timedelta(days=offset), grain), within.start)
        if not found or found[-1] != bucket:
            found.append(bucket)
    return found


def _spread(waits: Counter[str], share: float) -> int | None:
    if sum(waits.values()) < charts.SMALL:
        return None
    return figures.wait_percentile(waits, share)


def _average_wait(seconds: int, waits: int) -> int | None:
    # Minutes, rounded; an average of fewer than SMALL waits could describe one texter.
    if waits < charts.SMALL:
        return None
    return round(seconds / waits / 60)
