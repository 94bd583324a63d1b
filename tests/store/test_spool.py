"""The spool on disk: whole files, one per key, encrypted, read back in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from responder.privacy.addresses import Keys
from responder.store.spool import SET_ASIDE, Spool

NUMBER = "+14155550123"


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool", Keys.from_secret("test-data-key").spool)


def record(n: int) -> dict[str, object]:
    return {"address": NUMBER, "text": f"message number {n}"}


def test_records_come_back_in_the_order_they_were_written(spool: Spool) -> None:
    for n in range(20):
        assert spool.put(f"SM{n:032d}", record(n))
    assert [p.record for p in spool.pending()] == [record(n) for n in range(20)]
    # Nothing but the records is left behind: no temporary file, no plain name.
    names = [p.name for p in spool.folder.iterdir() if p.name != ".lock"]
    assert len(names) == 20 and all(name.endswith(".spool") for name in names)
    assert not any("SM" in name for name in names)


def test_a_key_keeps_its_first_record(spool: Spool) -> None:
    assert spool.put("SMsame", record(1))
    assert not spool.put("SMsame", record(2))
    assert [p.record for p in spool.pending()] == [record(1)]


def test_nothing_is_readable_without_the_key(spool: Spool) -> None:
    spool.put("SM1", record(1))
    (path,) = spool.folder.glob("*.spool")
    data = path.read_bytes()
    assert NUMBER.encode() not in data and b"message number" not in data
    assert NUMBER.encode() not in data.replace(b"+", b"")
    # The spool's key is not the one that encrypts stored numbers.
    keys = Keys.from_secret("test-data-key")
    assert keys.spool.decrypt(data)
    with pytest.raises(InvalidToken):
        keys.fernet.decrypt(data)


def test_an_unreadable_file_is_set_aside_not_lost(spool: Spool, tmp_path: Path) -> None:
    spool.put("SM1", record(1))
    other = Spool(spool.folder, Fernet(Fernet.generate_key()))
    other.put("SM2", record(2))
    pending = spool.pending()
    assert [p.record for p in pending] == [None, record(1)]
    spool.set_aside(pending[0].path)
    assert [p.record for p in spool.pending()] == [record(1)]
    assert len(list((spool.folder / SET_ASIDE).iterdir())) == 1


def test_one_reader_at_a_time(spool: Spool) -> None:
    second = Spool(spool.folder, spool.fernet)
    with spool.draining() as first_holds, second.draining() as second_holds:
        assert first_holds and not second_holds
    with second.draining() as later:
        assert later


def test_an_empty_or_missing_spool_is_empty(spool: Spool) -> None:
    assert spool.is_empty() and spool.pending() == []
    spool.put("SM1", record(1))
    assert not spool.is_empty()
    spool.remove(spool.pending()[0].path)
    assert spool.is_empty()


def test_records_written_before_a_key_rotation_are_read_while_the_old_key_is_a_fallback(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    assert Spool(folder, Keys.from_secret("old-data-key").spool).put("SM1", record(1))
    rotating = Spool(folder, Keys.from_secret("new-data-key", ["old-data-key"]).spool)
    assert rotating.put("SM2", record(2))
    assert [p.record for p in rotating.pending()] == [record(1), record(2)]
    # Without the fallback the old file cannot be read; the new one still can.
    after = Spool(folder, Keys.from_secret("new-data-key").spool)
    assert [p.record for p in after.pending()] == [None, record(2)]
