"""The app's PostgreSQL cursor describes every result as psycopg's own cursor does."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import make_url

from responder.store import cursors

STATEMENTS = (
    "SELECT 1 AS one, 'two'::text AS two, now() AS three",
    "SELECT * FROM conversations",  # many columns, no row
    "SELECT",  # rows without a column
    "UPDATE conversations SET state = state WHERE false",  # no rows at all
    "SET LOCAL lock_timeout = 1000",
)


@pytest.fixture
def connections(postgres_url: str) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    url = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    with (
        psycopg.connect(url) as plain,
        psycopg.connect(url, cursor_factory=cursors.Cursor) as ours,
    ):
        yield plain, ours


def described(description) -> list[tuple] | None:
    return None if description is None else [tuple(column) for column in description]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_a_result_is_described_alike(connections, statement: str) -> None:
    plain, ours = connections
    expected = described(plain.execute(statement).description)
    cursor = ours.execute(statement)
    assert type(cursor) is cursors.Cursor
    assert (cursor.description is None) == (expected is None)
    assert described(cursor.description) == expected
    if expected:
        assert len(cursor.description) == len(expected)
        assert cursor.description[-1].name == expected[-1][0]
        assert [c.name for c in cursor.description[1:]] == [row[0] for row in expected[1:]]


def test_a_description_read_after_the_cursor_moved_on_is_refused(connections) -> None:
    _, ours = connections
    cursor = ours.cursor()
    early = cursor.execute("SELECT 1 AS one").description
    cursor.execute("SELECT 2 AS two, 3 AS three")
    # Its columns would be the next result's: an error, never a wrong name.
    with pytest.raises(RuntimeError):
        early[0]
    assert [c.name for c in cursor.description] == ["two", "three"]
