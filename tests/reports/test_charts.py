"""Bar charts from counts: proportional bars, and small figures neither shown nor drawn exactly."""

from __future__ import annotations

import pytest

from responder.reports import charts


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (1234, "1234")]
)
def test_figures_from_1_to_4_are_hidden(count: int, shown: str) -> None:
    assert charts.shown(count) == shown


def test_columns_stand_in_order_and_a_small_figure_is_drawn_as_tall_as_5() -> None:
    chart = charts.columns([("mon", 10), ("tue", 0), ("wed", 3), ("thu", 5)], 400, 100)
    assert [bar.label for bar in chart.bars] == ["mon", "tue", "wed", "thu"]
    assert [bar.height for bar in chart.bars] == [100, 0, 50, 50]
    assert [bar.y + bar.height for bar in chart.bars] == [100] * 4  # all stand on the floor
    assert [bar.hidden for bar in chart.bars] == [False, False, True, False]
    assert chart.bars[2].shown == "<5"
    assert all(bar.x + bar.width <= 400 for bar in chart.bars)


def test_rows_lie_longest_first() -> None:
    chart = charts.rows([("b", 2), ("a", 20), ("c", 10)], width=200, row=20)
    assert [(bar.label, bar.width, bar.y) for bar in chart.bars] == [
        ("a", 200, 0),
        ("c", 100, 20),
        ("b", 50, 40),
    ]
    assert chart.height == 60


def test_an_empty_period_draws_flat_bars() -> None:
    chart = charts.columns([("mon", 0), ("tue", 0)])
    assert [bar.height for bar in chart.bars] == [0, 0]
    assert charts.rows([]).bars == ()
