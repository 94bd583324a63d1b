"""The statistics page in a real browser: charts with their tables, a period by week, the CSV."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from responder import services
from responder.store import counts
from tests.browser.live import LiveHelpline
from tests.browser.test_presence import log_in_with_a_new_code

pytestmark = pytest.mark.browser


def counted(helpline: LiveHelpline, when: datetime, metric: str, amount: int, **more: str) -> None:
    with services.of(helpline.app).sessions() as session:
        counts.add(session, when, metric, amount=amount, channel="sms", **more)
        session.commit()


def test_a_supervisor_reads_the_month_in_charts_and_tables_and_downloads_it(
    helpline: LiveHelpline, page: Page
) -> None:
    today = datetime.now(UTC)
    counted(helpline, today, "contacts", 12)
    counted(helpline, today, "crisis", 2)
    counted(helpline, today, "wrapup_category", 6, detail="sextortion")
    counted(helpline, today - timedelta(days=3), "contacts", 7)
    helpline.add_counsellor("sam", role="supervisor")
    log_in_with_a_new_code(page, helpline, "sam")
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()

    # Thirty days drawn as thirty columns, each figure in the table beside, small ones hidden.
    chart = page.get_by_role("img", name="Contacts over the period")
    expect(chart.locator("rect")).to_have_count(30)
    table = page.locator("table", has=page.get_by_text("Figures over the period"))
    last = table.locator("tbody tr").last
    expect(last.locator("th")).to_have_text(today.date().isoformat())
    expect(last.locator("td").first).to_have_text("12")
    expect(last.locator("td").last).to_have_text("<5")  # two crisis marks
    expect(page.get_by_role("img", name="Demand by hour of the week (UTC)")).to_be_visible()

    # By week: the same period in five or six rows, the two days' contacts added up.
    page.get_by_label("By", exact=True).select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Week by week")).to_be_visible()
    rows = table.locator("tbody tr")
    assert 5 <= rows.count() <= 6
    assert sum(int(cell) for cell in rows.locator("td:first-of-type").all_inner_texts()) == 19

    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures (CSV)").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename.startswith("helpline-daily-")
    with saved.open(newline="") as handle:
        found = list(csv.DictReader(handle))
    totals = {
        (row["metric"], row["detail"]): row["count"] for row in found if row["day"] == "total"
    }
    assert totals["contacts", ""] == "19" and totals["crisis", ""] == "<5"
    assert totals["wrapup_category", "sextortion"] == "6"
