"""Calling an ASGI application directly: a request in, what it sent back out."""

from __future__ import annotations

import asyncio


def call(app, scope: dict, body_chunks: list[bytes] = ()) -> list[dict]:
    """Run ``app`` on one request whose body arrives in ``body_chunks``; the messages sent."""
    chunks = list(body_chunks)
    sent: list[dict] = []

    async def receive():
        if scope["type"] == "websocket":
            return {"type": "websocket.connect"}
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def http(method: str, path: str, headers: dict[str, str], *, scheme: str = "http") -> dict:
    return {"type": "http", "method": method, "path": path, "scheme": scheme,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def websocket(headers: dict[str, str], *, scheme: str = "ws") -> dict:
    return {"type": "websocket", "path": "/_stcore/stream", "scheme": scheme,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def status(sent: list[dict]) -> int | str:
    for message in sent:
        if message["type"] == "http.response.start":
            return message["status"]
        if message["type"] == "websocket.close":
            return "closed"
        if message["type"] == "websocket.accept":
            return "accepted"
    return "nothing"


def headers_of(sent: list[dict]) -> dict[str, str]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return {k.decode(): v.decode() for k, v in start["headers"]}
