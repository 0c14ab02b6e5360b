"""The telemetry archive: one small storage interface and its SQLite driver.

Every sample the monitor accepts is appended here before it is acknowledged; the detector's derived
channels (air mass, dP/dt, reserve time...) are stored beside them so that the dashboard can ask for their
history. The interface (:class:`Storage`) is what the rest of :mod:`hullbreach.ops` uses; another database
(PostgreSQL / TimescaleDB, see docs/operations.md) is another class with the same methods.

SQLite driver (:class:`SQLiteArchive`)
--------------------------------------
- One file, ``journal_mode=WAL`` (readers never block the writer) and ``synchronous=FULL``: in WAL mode
  FULL syncs the write-ahead log at every commit, so an acknowledged batch survives a crash of the process
  *and* of the machine (power loss). ``NORMAL`` would survive a SIGKILL of the process but may lose the
  last commits on power loss (SQLite docs, "PRAGMA synchronous"); the monitor acknowledges whole batches,
  so one fsync per batch costs little (docs/benchmarks/ops.md).
- Schema migrations: the table ``schema_version`` holds the version; :data:`MIGRATIONS` are applied in
  order, each in its own transaction, when a file is opened.
- Samples keep the batch they came in (``batch``), so that the detector can be rebuilt after a restart
  from exactly the batches it saw (same answer as an uninterrupted run). Live events (``POST
  /api/events``) keep the batch they came after, so that a rebuild gives them at the same place.
- Idempotency: a batch sent with a key (``Idempotency-Key``) stores the key in the same transaction as its
  samples; the same key again stores nothing and gets the first batch's number back (a retry after a lost
  answer is not stored twice, and a crash between commit and answer cannot make it so).

Units: times are integers, nanoseconds since the UNIX epoch (UTC) [ns]; values in the sensor's own unit
(as received); derived channels in the unit their name carries.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np
import pandas as pd

from hullbreach.errors import HullbreachError


class ArchiveError(HullbreachError):
    """The archive file cannot be opened, migrated, written or exported."""


#: Schema migrations: (version, SQL). Applied in order to a file whose ``schema_version`` is lower.
MIGRATIONS: tuple = (
    (1, """
        CREATE TABLE channels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE samples (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, t_ns INTEGER NOT NULL,
                              channel_id INTEGER NOT NULL REFERENCES channels(id), value REAL NOT NULL);
        CREATE INDEX samples_channel_time ON samples (channel_id, t_ns);
    """),
    (2, """
        CREATE TABLE derived (channel_id INTEGER NOT NULL REFERENCES channels(id), t_ns INTEGER NOT NULL,
                              value REAL, PRIMARY KEY (channel_id, t_ns)) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """),
    (3, """
        CREATE TABLE batch_keys (key TEXT PRIMARY KEY, batch INTEGER NOT NULL, accepted INTEGER NOT NULL,
                                 received_utc TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE events (id INTEGER PRIMARY KEY, after_batch INTEGER NOT NULL, t_ns INTEGER NOT NULL,
                             kind TEXT NOT NULL, detail TEXT NOT NULL);
    """),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


@dataclass(frozen=True)
class Ack:
    """What :meth:`Storage.append` answers: the batch number, the samples it holds, and whether it is a
    replay (the key was stored before: nothing new stored; ``batch``/``accepted``/``received_utc`` are the
    first time's)."""

    batch: int
    accepted: int
    replay: bool = False
    received_utc: str = ""


@dataclass(frozen=True)
class Batch:
    """One stored ingest batch, as given to :meth:`Storage.append` (times [ns], values as received)."""

    batch: int
    t_ns: np.ndarray
    channel: np.ndarray
    value: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The batch as a raw long table ``time, channel, value`` (time datetime64[ns, UTC])."""
        return pd.DataFrame({"time": pd.to_datetime(self.t_ns, unit="ns", utc=True),
                             "channel": self.channel, "value": self.value})


class Storage(Protocol):
    """What the monitor needs from an archive (one driver per database)."""

    def append(self, t_ns: np.ndarray, channels: Sequence[str], values: np.ndarray, key: str | None = None) -> Ack:
        """Store one batch; return only once it is durable. With ``key``, a key already stored stores nothing
        and answers the earlier batch (``Ack.replay``)."""

    def put_events(self, events: pd.DataFrame) -> None:
        """Store live events (``read_events`` columns) after the newest stored batch."""

    def put_derived(self, rows: Sequence[tuple[str, int, float]]) -> None:
        """Store derived samples ``(channel, t_ns, value)`` (a later value at the same time replaces it)."""

    def history(self, channel: str, start_ns: int | None = None, end_ns: int | None = None,
                limit: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
        """Samples of one channel (raw or derived) in ``[start_ns, end_ns]``: ``(t_ns, value)``."""

    def batches(self, after: int = 0, with_events: bool = False) -> Iterator[Batch]:
        """Every stored batch after ``after``, in the order they were stored (with the live events between
        them, as DataFrames, when ``with_events``)."""

    def channels(self) -> list[str]:
        """Every channel name the archive holds."""

    def count(self) -> int:
        """Number of raw samples stored."""

    def delete_before(self, t_ns: int) -> int:
        """Retention: remove samples (raw and derived) older than ``t_ns``; return how many raw ones."""

    def close(self) -> None:
        """Close the archive."""


class SQLiteArchive:
    """The SQLite driver of :class:`Storage` (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Archive file (created with its folder when missing).
    synchronous : {"FULL", "NORMAL"}
        SQLite's ``synchronous`` setting; FULL (default) is durable against power loss too.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL"):
        self.path = Path(path)
        if synchronous not in ("FULL", "NORMAL"):
            raise ArchiveError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot open the archive {self.path}: {exc}",
                               hint="check the path and that the folder is writable") from exc
        if str(mode).lower() != "wal":
            raise ArchiveError(f"{self.path}: the file system does not support SQLite's WAL mode ({mode})",
                               hint="put the archive on a local disk")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._lock = threading.Lock()
        self._migrate()
        self._ids = dict(self._db.execute("SELECT name, id FROM channels"))
        self._names = {i: n for n, i in self._ids.items()}
        row = self._db.execute("SELECT MAX(batch) FROM samples").fetchone()
        self._batch = int(row[0] or 0)

    # ------------------------------------------------------------------------------------ schema
    def schema_version(self) -> int:
        """The file's schema version (0 for a new file)."""
        have = self._db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
        if not have:
            return 0
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_utc TEXT NOT NULL)")
        have = self.schema_version()
        if have > SCHEMA_VERSION:
            raise ArchiveError(f"{self.path} has schema version {have}, newer than this hullbreach ({SCHEMA_VERSION})",
                               hint="upgrade hullbreach or use another --db file")
        for version, sql in MIGRATIONS:
            if version <= have:
                continue
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for stmt in (s.strip() for s in sql.split(";")):
                    if stmt:
                        self._db.execute(stmt)
                self._db.execute("INSERT INTO schema_version VALUES (?, ?)",
                                 (version, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise ArchiveError(f"{self.path}: migration to schema version {version} failed: {exc}") from exc

    # ------------------------------------------------------------------------------------ writing
    def _channel_ids(self, names) -> np.ndarray:
        uniq = pd.unique(np.asarray(names, dtype=object))
        new = [n for n in uniq if n not in self._ids]
        for n in new:
            cur = self._db.execute("INSERT INTO channels (name) VALUES (?)", (str(n),))
            self._ids[n] = cur.lastrowid
            self._names[cur.lastrowid] = n
        codes, cats = pd.factorize(np.asarray(names, dtype=object))
        lut = np.array([self._ids[c] for c in cats], dtype=np.int64)
        return lut[codes] if len(codes) else np.zeros(0, dtype=np.int64)

    def append(self, t_ns: np.ndarray, channels: Sequence[str], values: np.ndarray, key: str | None = None) -> Ack:
        """Store one batch in one transaction and answer once committed (durable); see :class:`Ack` for
        ``key``."""
        t_ns = np.asarray(t_ns, dtype=np.int64)
        values = np.asarray(values, dtype=float)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if key is not None:
                    row = self._db.execute("SELECT batch, accepted, received_utc FROM batch_keys WHERE key=?",
                                           (key,)).fetchone()
                    if row is not None:
                        self._db.execute("ROLLBACK")
                        return Ack(int(row[0]), int(row[1]), True, str(row[2]))
                ids = self._channel_ids(channels)
                self._batch += 1
                b = self._batch
                self._db.executemany("INSERT INTO samples (batch, t_ns, channel_id, value) VALUES (?, ?, ?, ?)",
                                     zip([b] * len(t_ns), t_ns.tolist(), ids.tolist(), values.tolist()))
                if key is not None:
                    self._db.execute("INSERT INTO batch_keys VALUES (?, ?, ?, ?)", (key, b, len(t_ns), now))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise ArchiveError(f"cannot write to the archive {self.path}: {exc}",
                                   hint="check the disk space and permissions") from exc
        return Ack(b, len(t_ns), False, now)

    def put_events(self, events: pd.DataFrame) -> None:
        """Store live events (``time, kind, detail``) after the newest batch, in one durable transaction."""
        t = pd.DatetimeIndex(events["time"]).asi8
        rows = [(self._batch, int(x), str(k), "" if pd.isna(d) else str(d))
                for x, k, d in zip(t, events["kind"], events["detail"])]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT INTO events (after_batch, t_ns, kind, detail) VALUES (?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise ArchiveError(f"cannot write events to the archive {self.path}: {exc}") from exc

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self._ids = dict(self._db.execute("SELECT name, id FROM channels"))
        self._names = {i: n for n, i in self._ids.items()}
        self._batch = int(self._db.execute("SELECT MAX(batch) FROM samples").fetchone()[0] or 0)

    def put_derived(self, rows: Sequence[tuple[str, int, float]]) -> None:
        """Store derived samples (upsert on channel and time); not fsynced separately (rebuilt on restart)."""
        if not rows:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                ids = self._channel_ids([r[0] for r in rows])
                self._db.executemany("INSERT OR REPLACE INTO derived (channel_id, t_ns, value) VALUES (?, ?, ?)",
                                     [(int(i), int(r[1]), None if r[2] is None else float(r[2]))
                                      for i, r in zip(ids, rows)])
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise ArchiveError(f"cannot write derived channels to {self.path}: {exc}") from exc

    # ------------------------------------------------------------------------------------ reading
    def history(self, channel: str, start_ns: int | None = None, end_ns: int | None = None,
                limit: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
        """``(t_ns, value)`` of one channel between the bounds (inclusive), oldest first, at most ``limit``."""
        cid = self._ids.get(channel)
        if cid is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        lo = -(2 ** 63) if start_ns is None else int(start_ns)
        hi = 2 ** 63 - 1 if end_ns is None else int(end_ns)
        rows = self._db.execute(
            "SELECT t_ns, value FROM samples WHERE channel_id=? AND t_ns BETWEEN ? AND ? "
            "UNION ALL SELECT t_ns, value FROM derived WHERE channel_id=? AND t_ns BETWEEN ? AND ? "
            "ORDER BY t_ns LIMIT ?", (cid, lo, hi, cid, lo, hi, int(limit))).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        t = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        v = np.fromiter((np.nan if r[1] is None else r[1] for r in rows), dtype=float, count=len(rows))
        return t, v

    def batches(self, after: int = 0, with_events: bool = False) -> Iterator[Batch]:
        """Stored batches after number ``after`` in storage order (for rebuilding the detector); with
        ``with_events`` the live events too, each group as a ``read_events``-like DataFrame yielded right
        after the batch it came after."""
        evs: list = []
        if with_events:
            from hullbreach.ops.ingest import events_frame

            rows = self._db.execute("SELECT after_batch, t_ns, kind, detail FROM events WHERE after_batch >= ? "
                                    "ORDER BY id", (int(after),)).fetchall()
            groups: dict = {}
            for r in rows:
                groups.setdefault(int(r[0]), []).append(r[1:])
            evs = [(b, events_frame(g)) for b, g in sorted(groups.items())]
        for b in self._batches(after):
            while evs and evs[0][0] < b.batch:
                yield evs.pop(0)[1]
            yield b
        for _b, e in evs:
            yield e

    def _batches(self, after: int) -> Iterator[Batch]:
        """Stored batches in storage order, read in chunks and split with numpy (a Python step per sample
        made the restart's rebuild slow, issue 12)."""
        cur = self._db.execute("SELECT batch, t_ns, channel_id, value FROM samples WHERE batch > ? ORDER BY id",
                               (int(after),))
        ids = sorted(self._names)
        lut = np.empty(max(ids) + 1 if ids else 1, dtype=object)
        for i in ids:
            lut[i] = self._names[i]
        carry = None  # the last (possibly unfinished) batch of the previous chunk
        while True:
            rows = cur.fetchmany(200_000)
            if not rows:
                break
            b, t, c, v = zip(*rows)
            b = np.array(b, dtype=np.int64)
            t = np.array(t, dtype=np.int64)
            c = lut[np.array(c, dtype=np.int64)]
            v = np.array(v, dtype=float)
            if carry is not None:
                b, t, c, v = (np.concatenate([x, y]) for x, y in zip(carry, (b, t, c, v)))
            cuts = [0, *(np.flatnonzero(np.diff(b)) + 1).tolist(), len(b)]
            for lo, hi in zip(cuts[:-2], cuts[1:-1]):
                yield Batch(int(b[lo]), t[lo:hi], c[lo:hi], v[lo:hi])
            lo = cuts[-2]
            carry = (b[lo:], t[lo:], c[lo:], v[lo:])
        if carry is not None and len(carry[0]):
            yield Batch(int(carry[0][0]), carry[1], carry[2], carry[3])

    def channels(self) -> list[str]:
        """Every channel name stored (raw and derived)."""
        return sorted(self._ids)

    def count(self) -> int:
        """Number of raw samples stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0])

    def time_range(self) -> tuple[int | None, int | None]:
        """Oldest and newest raw sample time [ns] (None when empty)."""
        lo, hi = self._db.execute("SELECT MIN(t_ns), MAX(t_ns) FROM samples").fetchone()
        return lo, hi

    def delete_before(self, t_ns: int) -> int:
        """Retention: delete raw and derived samples older than ``t_ns`` [ns]; return the raw count."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            n = self._db.execute("DELETE FROM samples WHERE t_ns < ?", (int(t_ns),)).rowcount
            self._db.execute("DELETE FROM derived WHERE t_ns < ?", (int(t_ns),))
            self._db.execute("COMMIT")
        return int(n)

    def frame(self, channel: str | None = None, start_ns: int | None = None, end_ns: int | None = None) -> pd.DataFrame:
        """Raw samples as a long table ``time, channel, value`` (for export), oldest first."""
        q = ("SELECT s.t_ns, c.name, s.value FROM samples s JOIN channels c ON c.id = s.channel_id "
             "WHERE s.t_ns BETWEEN ? AND ?")
        args: list = [-(2 ** 63) if start_ns is None else int(start_ns), 2 ** 63 - 1 if end_ns is None else int(end_ns)]
        if channel is not None:
            q += " AND c.name = ?"
            args.append(channel)
        df = pd.read_sql_query(q + " ORDER BY s.t_ns, s.id", self._db, params=args)
        df.columns = ["t_ns", "channel", "value"]
        return pd.DataFrame({"time": pd.to_datetime(df["t_ns"].to_numpy(np.int64), unit="ns", utc=True),
                             "channel": df["channel"], "value": df["value"]})

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL into the file)."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self._db.close()


def open_archive(path: str | Path, **kw) -> SQLiteArchive:
    """Open (or create) an archive; the one place that picks the driver (SQLite today)."""
    return SQLiteArchive(path, **kw)


def export(archive: SQLiteArchive, out: str | Path, *, fmt: str | None = None, channel: str | None = None,
           start_ns: int | None = None, end_ns: int | None = None) -> int:
    """Write raw samples to a long CSV (``time,channel,value``, ISO 8601 UTC) or Parquet file; return the count.

    ``fmt`` is ``csv`` or ``parquet`` (from the extension when omitted). Both files are read back by
    ``hullbreach detect`` and ``serve --replay``.
    """
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "parquet"):
        raise ArchiveError(f"cannot export to {out}: unknown format {fmt!r}", hint="use a .csv or .parquet file or --format")
    df = archive.frame(channel, start_ns, end_ns)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.assign(time=df["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")).to_csv(out, index=False)
        else:
            df.to_parquet(out, index=False)
    except OSError as exc:
        raise ArchiveError(f"cannot write {out}: {exc}", hint="check the folder exists and is writable") from exc
    return len(df)
