"""Load on the built-in server: concurrent clients on loopback, mixed requests, every answer checked.

Plain GETs, conditional GETs (If-None-Match → 304), byte ranges of the PDF (206), HEADs of the EPUB and a
path outside the output (404); a status or body length that is not the expected one counts as an error,
as does any connection failure. Only addresses on 127.0.0.1 are contacted. Used by ``tests/test_load.py``
(a few seconds, zero errors required) and by the benchmark ``bench/load.py``, which imports it from here.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ISSUE = "2026-03-30"


@dataclass
class LoadResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    clients_done: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(out: Path, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "exporter"
    proc = subprocess.Popen(
        [str(exe), "serve", "--out", str(out), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not come up")


async def _load(base: str, clients: int, seconds: float) -> LoadResult:
    result = LoadResult()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        # What each kind of request must give back, learnt once before the load starts.
        pdf = f"/issues/{ISSUE}/{ISSUE}.pdf"
        epub = f"/issues/{ISSUE}/{ISSUE}.epub"
        atom = await http.get("/feeds/atom.xml")
        etag = atom.headers["etag"]
        index_len = len((await http.get("/")).content)
        pdf_len = int((await http.head(pdf)).headers["content-length"])
        plan = [
            ("GET", "/", {}, 200, index_len),
            ("GET", "/feeds/atom.xml", {"If-None-Match": etag}, 304, 0),
            ("GET", pdf, {"Range": "bytes=1000-9999"}, 206, 9000),
            ("GET", pdf, {"Range": f"bytes={pdf_len - 500}-"}, 206, 500),
            ("HEAD", epub, {}, 200, 0),
            ("GET", "/opds/catalog.xml", {}, 200, None),
            ("GET", "/../../etc/passwd", {}, 404, None),
        ]
        stop = time.monotonic() + seconds

        async def client(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                method, path, headers, status, length = plan[i % len(plan)]
                i += 1
                t0 = time.monotonic()
                try:
                    response = await http.request(method, path, headers=headers)
                except httpx.HTTPError as exc:
                    result.errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
                    continue
                result.latencies.append(time.monotonic() - t0)
                result.requests += 1
                result.by_status[response.status_code] = result.by_status.get(response.status_code, 0) + 1
                if response.status_code != status:
                    result.errors.append(f"{method} {path}: {response.status_code}, expected {status}")
                elif length is not None and len(response.content) != length:
                    result.errors.append(f"{method} {path}: {len(response.content)} bytes, expected {length}")
            result.clients_done += 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        result.seconds = time.monotonic() - started
    return result


def run_load(out: Path, clients: int = 200, seconds: float = 5.0) -> LoadResult:
    """Serve ``out`` in its own process and put it under load; the server is stopped afterwards."""
    port = free_port()
    server = start_server(out, port)
    try:
        return asyncio.run(_load(f"http://127.0.0.1:{port}", clients, seconds))
    finally:
        server.terminate()
        server.wait(10)
