"""Start the monitor service: open the archive, rebuild the detector from it, start the feeds, serve.

:func:`serve` prints exactly one line ``serving http://HOST:PORT/`` on stdout once the socket accepts
requests (other tools wait for it), then blocks until SIGINT/SIGTERM.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path

from hullbreach.errors import HullbreachError


def read_token(token_file: Path | None) -> str | None:
    """The write token from ``--token-file`` (first line) or ``HULLBREACH_TOKEN``; None when neither is set."""
    if token_file is not None:
        try:
            tok = Path(token_file).read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            raise HullbreachError(f"cannot read the token file {token_file}: {exc.strerror}",
                                  hint="give a readable file whose first line is the token") from exc
        if not tok or not tok[0].strip():
            raise HullbreachError(f"the token file {token_file} is empty", hint="write the token on its first line")
        return tok[0].strip()
    tok = os.environ.get("HULLBREACH_TOKEN", "").strip()
    return tok or None


def serve(station: str, *, db: Path, host: str = "127.0.0.1", port: int = 8000, replay: Path | None = None,
          speed: float = 120.0, isslive: bool = False, token: str | None = None, events: Path | None = None,
          cors_origins: tuple = (), max_body_bytes: int = 16 * 1024 * 1024, rate_per_s: float = 50.0,
          crew_count: int = 0, echo=print) -> None:
    """Run the service until interrupted (see the module docstring)."""
    import uvicorn

    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.feeds import IssLiveFeed, ReplayFeed
    from hullbreach.ops.monitor import Monitor
    from hullbreach.ops.server import ServerConfig, create_app
    from hullbreach.station import load_station
    from hullbreach.telemetry.readers import read_events

    st = load_station(station)
    if events is None and replay is not None and (Path(replay).parent / "events.csv").is_file() \
            and Path(replay).resolve() != (Path(replay).parent / "events.csv").resolve():
        events = Path(replay).parent / "events.csv"
        print(f"events: {events} (found beside the replayed file; --events FILE to give another)", file=sys.stderr)
    ev = read_events(events, st) if events is not None else None
    archive = open_archive(db)
    monitor = Monitor(st, archive, events=ev, crew_count=crew_count)
    t0 = time.perf_counter()
    n = monitor.rebuild()
    if n:
        print(f"rebuilt the detector from {n} archived samples in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    gc.collect()
    gc.freeze()  # a monitor holds many objects; keep full collections out of the updates (detect/stream.py)
    cfg = ServerConfig(token=token, cors_origins=tuple(cors_origins), max_body_bytes=max_body_bytes,
                       rate_per_s=rate_per_s, burst=max(4 * rate_per_s, 10))
    if not token:
        print(f"writes disabled: {TOKEN_NOTE}", file=sys.stderr)
    feeds: list = []

    def close() -> None:
        for f in feeds:
            f.stop.set()
        archive.close()  # folds the WAL into the file; a kill skips this and loses nothing committed

    app = create_app(monitor, cfg, on_close=close)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                            ws_max_size=1 << 20, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if replay is not None:
        feeds.append(ReplayFeed(monitor, replay, speed=speed))
    if isslive:
        feeds.append(IssLiveFeed(monitor))

    def announce():
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.02)
        sock = server.servers[0].sockets[0].getsockname()
        h = f"[{sock[0]}]" if ":" in sock[0] else sock[0]
        echo(f"serving http://{h}:{sock[1]}/")
        sys.stdout.flush()
        for f in feeds:
            f.start()

    threading.Thread(target=announce, daemon=True).start()
    server.run()


TOKEN_NOTE = ("no token: set HULLBREACH_TOKEN=<secret> or give --token-file FILE to accept POST /api/ingest")
