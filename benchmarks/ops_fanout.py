"""Fan-out: N WebSocket clients of ``hullbreach serve`` while samples are ingested at a fixed rate.

Usage: ``python benchmarks/ops_fanout.py [--clients 50] [--rate 2000] [--seconds 60]``

A sender POSTs 10 batches a second on schedule (``rate/10`` samples each, up to 4 requests in flight); each batch's samples carry unique times, and the
wall time of the POST is kept per batch. Every client (asyncio, one process) records when each batch's samples
arrive on its socket. Latency = arrival - POST start (so it includes the durable commit). Drops = batches a
client never received. Baseline in the same run: the same ingest, polled by each client through
``GET /api/history`` once a second (what a dashboard without the socket would do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from ops_common import TOKEN, start


ACK_MS: list = []


def sender(url, rate, seconds, sent: dict, stop_at):
    """10 batches a second on schedule; POSTs run on a small pool so that one slow acknowledgement does not
    hold back the next batch (a telemetry feed pipelines its requests the same way)."""
    from concurrent.futures import ThreadPoolExecutor

    per = max(1, int(rate / 10))
    local = threading.local()

    def post(t0s, body):
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=url, timeout=30)
        sent[int(round(t0s * 1000))] = time.time()
        local.c.post("/api/ingest", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        ACK_MS.append((time.time() - sent[int(round(t0s * 1000))]) * 1000)

    with ThreadPoolExecutor(4) as pool:
        i = 0
        t_next = time.monotonic()
        while time.monotonic() < stop_at:
            t0s = 1535580000 + i * 0.1
            body = {"samples": [{"time": t0s + k * (0.1 / per), "channel": "USLAB000058", "value": 755.0} for k in range(per)]}
            pool.submit(post, t0s, body)
            i += 1
            t_next += 0.1
            time.sleep(max(0.0, t_next - time.monotonic()))


async def ws_client(url, got: dict, stop_at):
    import websockets

    async with websockets.connect(url.replace("http", "ws") + "api/realtime", max_size=None) as ws:
        while time.time() < stop_at + 5:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), timeout=1.0))
            except asyncio.TimeoutError:
                continue
            now = time.time()
            for p in (m.get("samples") or {}).get("USLAB000058", []) if m.get("type") == "samples" else []:
                got.setdefault(p[0], now)


async def clients(url, n, stop_at):
    gots = [dict() for _ in range(n)]
    await asyncio.gather(*(ws_client(url, g, stop_at) for g in gots))
    return gots


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        p, url, _ = start(Path(tmp) / "a.sqlite")
        sent: dict = {}
        t_start = time.time() + 3.0  # clients connect first
        stop_wall = t_start + a.seconds
        res: list = []
        th = threading.Thread(target=lambda: res.append(asyncio.run(clients(url, a.clients, stop_wall))))
        th.start()
        time.sleep(3.0)
        sender(url, a.rate, a.seconds, sent, time.monotonic() + a.seconds)
        th.join()
        p.terminate()
        p.wait(60)
    gots = res[0]
    lat, drops = [], 0
    for g in gots:
        for k, t_sent in sent.items():
            if k in g:
                lat.append(g[k] - t_sent)
            else:
                drops += 1
    lat = np.array(lat) * 1000
    print(f"| {a.clients} WebSocket clients, {a.rate:.0f} samples/s for {a.seconds:.0f} s ({len(sent)} batches) | "
          f"p50 {np.percentile(lat, 50):.0f} ms, p99 {np.percentile(lat, 99):.0f} ms, max {lat.max():.0f} ms | drops {drops} | "
          f"ack (durable commit) p50 {np.percentile(ACK_MS, 50):.0f} ms, p99 {np.percentile(ACK_MS, 99):.0f} ms |")


if __name__ == "__main__":
    main()
