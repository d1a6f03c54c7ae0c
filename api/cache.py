"""An in-process cache of GET answers built only from reference data (regions).

Region answers change only when the reference data is reloaded, yet each costs a few ms of
Python; repeated requests (a region picker, the SIPD sync) are served from memory instead.
Entries expire after ``ttl`` seconds, so a reload by another process shows within that time;
the cache lives in the app, so every start begins empty. Every cached answer carries an
ETag, and ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    stored_at: float


class ResponseCache:
    def __init__(self, max_entries: int = 4096, ttl: float = 300.0) -> None:
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.ttl = ttl

    def get(self, key: bytes) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class CachedGetMiddleware:
    """Serves GETs under ``prefixes`` from ``cache``; only 200 answers are stored."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...], cache: ResponseCache) -> None:
        self.app = app
        self.prefixes = prefixes
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        headers = dict(scope["headers"])
        entry = self.cache.get(key)
        if entry is not None:
            await self._replay(entry, headers.get(b"if-none-match"), send)
            return
        await self._capture(key, scope, receive, send)

    async def _replay(self, entry: Entry, if_none_match: bytes | None, send: Send) -> None:
        if if_none_match == entry.etag:
            await send(
                {"type": "http.response.start", "status": 304, "headers": [(b"etag", entry.etag)]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": entry.status,
                "headers": [*entry.headers, (b"etag", entry.etag), (b"x-cache", b"hit")],
            }
        )
        await send({"type": "http.response.body", "body": entry.body})

    async def _capture(self, key: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capturing_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._finish(key, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, capturing_send)

    async def _finish(self, key: bytes, start: Message, body: bytes, send: Send) -> None:
        status = int(start["status"])
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"etag"]
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        if status == 200:
            self.cache.put(key, Entry(status, headers, body, etag, time.monotonic()))
            headers = [*headers, (b"etag", etag), (b"x-cache", b"miss")]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
