"""server_load's HTTP side: the address, a signed-in browser (keep-alive, cookies), what it reads from pages
(CSRF token, refusal message), the clients' clock and latency summary."""

from __future__ import annotations

import http.client
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import percentile

HOST = "127.0.0.1"
MAX_REQUESTS_PER_CLIENT = 100_000  # a bound besides the clock
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _get(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Browser:
    """One signed-in user: a keep-alive connection, the session and CSRF cookies, reconnecting when needed."""

    def __init__(self, port: int, session: str, *, keep_alive: bool = True) -> None:
        self.port, self.cookies, self.keep_alive = port, {"sessionid": session}, keep_alive
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = "&".join(f"{k}={_quote(v)}" for k, v in (form or {}).items()) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection before this request was read: send it again
                # on a new one (a dose carries its idempotency key, so a repeat could never record it twice).
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _eq, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if not self.keep_alive:
            self.close()
        return response.status, response.headers.get("Location", ""), text

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _quote(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


REFUSAL = re.compile(r'<div[^>]*class="[^"]*alert-danger[^"]*"[^>]*>(.*?)</div>', re.S)


def _refusal(body: str) -> str:
    """What a refused post said (the page's error message), else the start of the answer."""
    match = REFUSAL.search(body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()[:300] if match else repr(body[:200])


def _csrf(page: str) -> str:
    match = CSRF_FIELD.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _local_now(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _latency(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    ms = [s * 1000 for s in samples]
    return {"n": len(ms), "median_ms": sorted(ms)[len(ms) // 2], "p95_ms": percentile(ms, 0.95), "max_ms": max(ms)}
