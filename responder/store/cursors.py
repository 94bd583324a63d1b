"""psycopg's cursor with its description made only when something reads a column of it.

psycopg makes `cursor.description` anew each time it is asked: an object per column,
its name decoded and its type looked up. SQLAlchemy asks once after every statement,
but for a statement it has run before it takes the columns from its own cache and only
looks whether there are any. A conversation's row has 29 columns: making them cost
about 60 µs of every message that reads one, for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus

# The statuses of a result that has rows, also when it has no column ("SELECT;").
_ROWS = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class Cursor(psycopg.Cursor[Any]):
    """The cursor the app's engine opens on PostgreSQL."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _ROWS):
            return None
        return _Columns(self, result.nfields)


class _Columns(Sequence[Column]):
    """The columns of the result the cursor held when asked, made on first reading."""

    def __init__(self, cursor: Cursor, count: int) -> None:
        self._cursor, self._result, self._count = cursor, cursor.pgresult, count
        self._made: list[Column] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | Sequence[Column]:
        if self._made is None:
            # A Column reads the cursor's current result: it must still be this one.
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("the description was read after the cursor moved on")
            self._made = [Column(self._cursor, i) for i in range(self._count)]
        return self._made[index]
