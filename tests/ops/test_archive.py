"""The SQLite archive: migrations, durable append, history, rebuild order, retention, export."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from hullbreach.ops.archive import SCHEMA_VERSION, ArchiveError, export, open_archive


def _batch(t0_s: float, n: int, channels=("USLAB000058", "node1.pressure")):
    t = (np.repeat(np.arange(n), len(channels)) * 10 + t0_s) * 1e9
    ch = np.tile(np.array(channels, dtype=object), n)
    v = 755.0 + np.arange(len(t)) * 0.01
    return t.astype(np.int64), ch, v


def test_new_file_is_wal_at_the_latest_schema_and_reopens(tmp_path):
    p = tmp_path / "a.sqlite"
    a = open_archive(p)
    assert a.schema_version() == SCHEMA_VERSION
    assert a._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert a._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    a.append(*_batch(1.535e9, 5))
    a.close()
    b = open_archive(p)
    assert b.schema_version() == SCHEMA_VERSION and b.count() == 10
    versions = [r[0] for r in b._db.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))  # each migration applied once


def test_migrates_a_version_1_file(tmp_path):
    from hullbreach.ops import archive as mod

    p = tmp_path / "old.sqlite"
    db = sqlite3.connect(p)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_utc TEXT NOT NULL)")
    db.executescript(mod.MIGRATIONS[0][1])
    db.execute("INSERT INTO schema_version VALUES (1, 'then')")
    db.execute("INSERT INTO channels (name) VALUES ('USLAB000058')")
    db.execute("INSERT INTO samples (batch, t_ns, channel_id, value) VALUES (1, 5, 1, 755.0)")
    db.commit()
    db.close()
    a = open_archive(p)
    assert a.schema_version() == SCHEMA_VERSION
    assert a.count() == 1
    a.put_derived([("reserve_time_s", 5, 1.0)])  # the table of migration 2 exists
    assert a.history("reserve_time_s")[1].tolist() == [1.0]


def test_newer_schema_is_refused_with_a_hint(tmp_path):
    p = tmp_path / "new.sqlite"
    open_archive(p).close()
    db = sqlite3.connect(p)
    db.execute("INSERT INTO schema_version VALUES (99, 'future')")
    db.commit()
    db.close()
    with pytest.raises(ArchiveError, match="newer than this hullbreach"):
        open_archive(p)


def test_history_batches_retention_and_export(tmp_path):
    a = open_archive(tmp_path / "a.sqlite")
    b1 = a.append(*_batch(1.535e9, 10)).batch
    b2 = a.append(*_batch(1.535e9 + 100, 10)).batch
    assert (b1, b2) == (1, 2)
    t, v = a.history("USLAB000058", int(1.535e9 * 1e9), int((1.535e9 + 50) * 1e9))
    assert len(t) == 6 and np.all(np.diff(t) > 0)
    got = list(a.batches())
    assert [g.batch for g in got] == [1, 2] and all(len(g.t_ns) == 20 for g in got)
    assert list(a.batches(after=1))[0].batch == 2
    # derived values are upserted on (channel, time)
    a.put_derived([("cabin.dtdp_s_per_mmhg", 7, 1.0), ("cabin.dtdp_s_per_mmhg", 7, 2.0), ("cabin.dtdp_s_per_mmhg", 8, None)])
    t, v = a.history("cabin.dtdp_s_per_mmhg")
    assert t.tolist() == [7, 8] and v[0] == 2.0 and np.isnan(v[1])
    # export: CSV and Parquet that the readers take back
    from hullbreach.telemetry.readers import read_telemetry

    for ext in ("csv", "parquet"):
        n = export(a, tmp_path / f"out.{ext}")
        assert n == 40
        fr = read_telemetry(tmp_path / f"out.{ext}", "iss-2018")
        assert len(fr.data) + len(fr.quarantined) == 40
    with pytest.raises(ArchiveError, match="unknown format"):
        export(a, tmp_path / "out.xlsx")
    # retention
    assert a.delete_before(int((1.535e9 + 100) * 1e9)) == 20
    assert a.count() == 20


def test_unwritable_location_is_an_actionable_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        open_archive(tmp_path / "f" / "a.sqlite")
