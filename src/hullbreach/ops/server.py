"""The monitor service over HTTP: FastAPI app with ingest, history, state, a WebSocket, and the web pages.

Endpoints (contract of issue 12; docs/operations.md):

- ``POST /api/ingest`` (``Authorization: Bearer <token>``): long CSV ``time,channel,value`` or JSON
  ``{"samples": [...]}``; answers ``{"accepted": n, "rejected": [...]}`` once the accepted samples are
  committed to the archive (durable). A retry of a batch (same ``Idempotency-Key`` header, or JSON
  ``batch_id``) is not stored again; its answer carries ``"replay": true`` and the first batch's number. 401 without a valid token, 403 when the service has no token
  (writes refused; the message says how to set one), 413 over the size limit, 429 over the rate limit,
  400 for a body that is not CSV/JSON.
- ``GET /api/history?channel=C&start=T0&end=T1`` (ISO 8601 or UNIX seconds): archived samples, raw or derived.
- ``GET /api/state``: the detector's answer (``hullbreach detect --json`` shape) plus derived values.
- ``GET /api/dictionary``, ``GET /api/station``: channels and the station (modules, hatches) for the pages.
- ``POST /api/events`` (token): hatch operations and other known operations as they happen (JSON
  ``{"events": [{"time", "kind", "detail"}]}`` or the events CSV); the isolation guidance follows the hatch
  changes (:mod:`hullbreach.ops.guidance`).
- ``POST /api/isolation/step`` (token): the crew set up the pending isolation step at ``start``.
- ``WS /api/realtime``: every update (raw and derived samples, summary) as JSON messages.
- ``GET /`` Open MCT with the hullbreach plugins (fallback page when its files are missing), ``GET /crew``
  the crew display, ``GET /static/...`` files of the package's static folder only.

Security: tokens compared in constant time and never logged; CORS closed unless origins are given;
WebSocket connections from another origin refused; static paths resolved and kept inside their folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from hullbreach.constants import PA_PER_MMHG
from hullbreach.errors import HullbreachError
from hullbreach.ops.ingest import IngestError, check_key, parse_body, parse_events, parse_time_ns
from hullbreach.ops.monitor import Monitor

STATIC_DIR = Path(__file__).parent / "static"
#: Samples more than this ahead of the service's clock are rejected [ns] (clock skew allowance).
FUTURE_SLACK_NS = 300 * 10**9
TOKEN_HELP = ("this service has no write token: start it with HULLBREACH_TOKEN=<secret> in the environment "
              "or --token-file FILE, then send 'Authorization: Bearer <secret>'")


@dataclass
class ServerConfig:
    """Limits and security settings of the service.

    ``max_body_bytes`` [bytes] per request; ``rate_per_s`` and ``burst`` [requests] of the token bucket per
    client address for writes and history; ``ws_queue`` [messages] buffered per WebSocket client before the
    client is dropped as too slow (counted in ``/api/state``); ``cors_origins`` allowed origins (none:
    closed); ``static_dir`` the only folder files are served from.
    """

    token: str | None = None
    max_body_bytes: int = 16 * 1024 * 1024
    rate_per_s: float = 50.0
    burst: float = 200.0
    ws_queue: int = 10_000
    cors_origins: tuple = ()
    static_dir: Path = STATIC_DIR
    history_limit: int = 200_000
    stale_after_s: float = 30.0


class RateLimiter:
    """Token bucket per key: ``rate`` [1/s], ``burst`` [requests]."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = float(rate), float(burst)
        self._b: dict = {}

    def allow(self, key: str, now: float | None = None) -> float:
        """0 when allowed, else the seconds to wait [s]."""
        now = time.monotonic() if now is None else now
        tokens, t0 = self._b.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - t0) * self.rate)
        if tokens >= 1.0:
            self._b[key] = (tokens - 1.0, now)
            if len(self._b) > 10_000:
                self._b.clear()
            return 0.0
        self._b[key] = (tokens, now)
        return (1.0 - tokens) / self.rate


class Hub:
    """Fan-out of updates to WebSocket clients (one bounded queue per client)."""

    def __init__(self, queue_size: int):
        self.queue_size = queue_size
        self.clients: set = set()
        self.dropped: set = set()
        self.dropped_clients = 0

    def add(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(maxsize=self.queue_size)
        self.clients.add(q)
        return q

    def remove(self, q) -> None:
        self.clients.discard(q)
        self.dropped.discard(q)

    def publish(self, text: str) -> None:
        for q in list(self.clients):
            try:
                q.put_nowait(text)
            except asyncio.QueueFull:
                self.clients.discard(q)
                self.dropped.add(q)
                self.dropped_clients += 1


def _json_dumps(obj) -> str:
    return json.dumps(obj, default=_default, allow_nan=False, separators=(",", ":"))


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(type(o).__name__)


def _clean(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def create_app(monitor: Monitor, config: ServerConfig | None = None, on_close=None):
    """The FastAPI application of one monitor (see the module docstring); ``on_close()`` runs at shutdown
    after the detector worker stopped."""
    cfg = config or ServerConfig()
    hub = Hub(cfg.ws_queue)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        loop = asyncio.get_running_loop()

        def sink(update: dict) -> None:
            if update and hub.clients:  # serialised here, in the caller's thread, not in the event loop
                loop.call_soon_threadsafe(hub.publish, _json_dumps(_clean(update)))

        monitor.sink = sink
        monitor.start()
        try:
            yield
        finally:
            monitor.stop()
            if on_close is not None:
                on_close()

    app = FastAPI(title="hullbreach monitor", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    limiter = RateLimiter(cfg.rate_per_s, cfg.burst)
    app.state.monitor, app.state.hub, app.state.config = monitor, hub, cfg
    static_root = Path(cfg.static_dir).resolve()

    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    def err(status: int, message: str, **extra) -> JSONResponse:
        return JSONResponse({"error": message, **extra}, status_code=status, headers=extra.pop("headers", None))

    def check_token(request: Request) -> JSONResponse | None:
        if not cfg.token:
            return err(403, TOKEN_HELP)
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), cfg.token.encode()):
            return JSONResponse({"error": "missing or wrong token: send 'Authorization: Bearer <token>'"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return None

    def rate_limited(request: Request) -> JSONResponse | None:
        wait = limiter.allow(request.client.host if request.client else "?")
        if wait > 0:
            return JSONResponse({"error": f"too many requests: retry in {wait:.2f} s"}, status_code=429,
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return None

    async def read_body(request: Request) -> bytes | JSONResponse:
        cl = request.headers.get("content-length")
        if cl is not None:
            try:
                if int(cl) > cfg.max_body_bytes:
                    return err(413, f"body of {int(cl)} bytes is over the limit of {cfg.max_body_bytes} bytes; send smaller batches")
            except ValueError:
                return err(400, "bad Content-Length header")
        chunks, n = [], 0
        async for chunk in request.stream():
            n += len(chunk)
            if n > cfg.max_body_bytes:
                return err(413, f"body over the limit of {cfg.max_body_bytes} bytes; send smaller batches")
            chunks.append(chunk)
        return b"".join(chunks)

    async def write_body(request: Request) -> bytes | JSONResponse:
        """The body of a write request, or the 429/401/403/413 answer."""
        bad = rate_limited(request) or check_token(request)
        return bad if bad is not None else await read_body(request)

    def publish(update: dict) -> None:
        if update and hub.clients:
            hub.publish(_json_dumps(_clean(update)))

    app.state.publish = publish

    @app.post("/api/ingest")
    async def ingest(request: Request):
        body = await write_body(request)
        if isinstance(body, JSONResponse):
            return body

        def parse_and_store(ctype, key):
            parsed = parse_body(body, ctype, monitor.known, max_ns=time.time_ns() + FUTURE_SLACK_NS)
            ack = monitor.ingest(parsed.t_ns, parsed.channel, parsed.value, key=key or parsed.batch_id)
            return parsed, ack

        try:
            key = request.headers.get("idempotency-key")
            key = check_key(key) if key is not None else None
            parsed, ack = await run_in_threadpool(parse_and_store, request.headers.get("content-type"), key)
        except IngestError as exc:
            return err(400, str(exc))
        except HullbreachError as exc:
            return err(503, f"samples not stored: {exc}")
        if monitor.feed.get("source") in (None, "none"):
            monitor.feed["source"] = "http"
        monitor.feed.update({"last_wall": time.time(), "stale": False})
        if ack is not None and ack.replay:
            return {"accepted": ack.accepted, "rejected": [], "rejected_count": 0, "replay": True, "batch": ack.batch,
                    "note": f"a retry of batch {ack.batch} (received {ack.received_utc}): nothing stored again"}
        return {"accepted": parsed.n, "rejected": list(parsed.rejected), "rejected_count": parsed.n_rejected,
                "replay": False, "batch": None if ack is None else ack.batch}

    @app.post("/api/events")
    async def events(request: Request):
        body = await write_body(request)
        if isinstance(body, JSONResponse):
            return body

        def parse_and_store(ctype):
            evs = parse_events(body, ctype, monitor.station, max_ns=time.time_ns() + FUTURE_SLACK_NS)
            return monitor.add_events(evs), evs

        try:
            out, evs = await run_in_threadpool(parse_and_store, request.headers.get("content-type"))
        except IngestError as exc:
            return err(400, str(exc))
        except HullbreachError as exc:
            return err(503, f"events not stored: {exc}")
        hatch = int(evs["kind"].isin(("hatch_close", "hatch_open")).sum())
        return {**out, "hatch_changes": hatch,
                "note": "stored; the isolation guidance follows the hatch changes once the telemetry reaches their time"}

    @app.get("/api/history")
    async def history(request: Request, channel: str, start: str | None = None, end: str | None = None):
        bad = rate_limited(request)
        if bad is not None:
            return bad
        lo = parse_time_ns(start) if start is not None else None
        hi = parse_time_ns(end) if end is not None else None
        if (start is not None and lo is None) or (end is not None and hi is None):
            return err(400, "start and end must be ISO 8601 times or UNIX seconds")
        t, v = await run_in_threadpool(monitor.archive.history, channel, lo, hi, cfg.history_limit)
        if channel not in monitor.known and len(t) == 0 and channel not in monitor.archive.channels():
            return err(404, f"unknown channel {channel[:64]!r}; GET /api/dictionary lists the channels")
        ms = (t // 1_000_000).tolist()
        return Response(_json_dumps({"channel": channel, "samples": [
            {"timestamp": m, "value": (x if math.isfinite(x) else None)} for m, x in zip(ms, v.tolist())]}),
            media_type="application/json")

    @app.get("/api/state")
    async def state():
        s = monitor.state()
        s["service"] = {"websocket_clients": len(hub.clients), "dropped_slow_clients": hub.dropped_clients,
                        "writes_enabled": bool(cfg.token)}
        return Response(_json_dumps(_clean(s)), media_type="application/json")

    @app.get("/api/dictionary")
    async def dictionary():
        return {"station": monitor.station.name, "cabin_channel": monitor.cabin_channel,
                "channels": monitor.dictionary(), "limits": limits(monitor)}

    @app.get("/api/station")
    async def station():
        st = monitor.station
        closed = set(st.closed_hatches())
        return {"name": st.name, "modules": [{"id": m, "volume_m3": mod.volume_m3} for m, mod in st.modules.items()],
                "hatches": [{"id": h, "a": getattr(x, "a", None), "b": getattr(x, "b", None), "closed": h in closed}
                            for h, x in st.hatches.items()],
                "evacuation_pressure_mmhg": st.evacuation_pressure_pa / PA_PER_MMHG}

    @app.post("/api/isolation/step")
    async def isolation_step(request: Request):
        body = await write_body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            doc = json.loads(body)
            start = parse_time_ns(doc["start"])
            if start is None:
                raise ValueError("start")
        except (ValueError, KeyError, TypeError):
            return err(400, 'send {"start": <ISO time when the hatch operations began>, "closed_hatches": [...]}')
        try:
            out = await run_in_threadpool(monitor.observe_step, start / 1e9, doc.get("closed_hatches"))
        except HullbreachError as exc:
            return err(409, str(exc))
        publish({"type": "update", "samples": {}, "state": monitor.summary()})
        return _clean(out)

    @app.websocket("/api/realtime")
    async def realtime(ws: WebSocket):
        origin = ws.headers.get("origin")
        host = ws.headers.get("host", "")
        if origin and origin.split("://", 1)[-1] != host and origin not in cfg.cors_origins:
            await ws.close(code=1008)
            return
        await ws.accept()
        q = hub.add()

        async def watch_close():
            # the client sends nothing; a disconnect (or the server shutting down) ends the sender below
            try:
                while (await ws.receive()).get("type") != "websocket.disconnect":
                    pass
            except (WebSocketDisconnect, RuntimeError):
                pass
            q.put_nowait(None) if not q.full() else hub.dropped.add(q)

        watcher = asyncio.create_task(watch_close())
        try:
            await ws.send_text(_json_dumps(_clean({"type": "hello", "state": monitor.summary()})))
            while True:
                if q in hub.dropped and q.empty():
                    await ws.close(code=1013)  # too slow to keep up: counted in /api/state
                    return
                msg = await q.get()
                if msg is None:
                    return
                await ws.send_text(msg)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            watcher.cancel()
            hub.remove(q)

    def _gz(path: Path, name: str):
        import mimetypes

        mt = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=mt, headers={"Content-Encoding": "gzip", "Cache-Control": "max-age=86400"})

    @app.get("/static/{rel:path}")
    async def static(rel: str):
        """A file of the static folder; ``NAME.gz`` is served gzip-encoded for ``NAME`` (vendored Open MCT)."""
        target = (static_root / rel).resolve()
        if not target.is_relative_to(static_root):
            return err(404, "not found")
        if target.is_file():
            return FileResponse(target)
        gz = target.with_name(target.name + ".gz")
        if gz.is_file() and gz.resolve().is_relative_to(static_root):
            return _gz(gz, target.name)
        return err(404, "not found")

    @app.get("/")
    async def index():
        if (static_root / "openmct" / "openmct.js.gz").is_file() or (static_root / "openmct" / "openmct.js").is_file():
            return FileResponse(static_root / "index.html", media_type="text/html")
        return FileResponse(static_root / "fallback.html", media_type="text/html")

    @app.get("/crew")
    async def crew():
        return FileResponse(static_root / "crew.html", media_type="text/html")

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    return app


def limits(monitor: Monitor) -> dict:
    """Limits of the dashboard [mmHg, s]: watch / warning / critical cabin pressure and reserve time.

    Pressure: warning below the ISS operating band (730 mmHg, Pettit 2017 via the reference README),
    critical at the evacuation pressure of the station file (520 mmHg on the ISS); watch 5 mmHg under the
    nominal pressure. Reserve time: watch < 7 days, warning < 24 h, critical < 4 h (operations choices).
    """
    st = monitor.station
    nom = st.nominal_pressure_pa / PA_PER_MMHG
    evac = st.evacuation_pressure_pa / PA_PER_MMHG
    return {"pressure_mmhg": {"watch": nom - 5.0, "warning": max(evac, min(730.0, nom - 10.0)), "critical": evac},
            "reserve_time_s": {"watch": 7 * 86400.0, "warning": 86400.0, "critical": 4 * 3600.0}}
