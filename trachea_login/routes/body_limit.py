"""The request-body size limit (``TRACHEA_MAX_BODY_BYTES``, 64 KiB): 413 ``PAYLOAD_TOO_LARGE``."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from ..errors import ErrorCode, TracheaError


class BodyLimitedRequest(Request):
    """A request whose body may not exceed ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading anything; a chunked
    body is refused as soon as the bytes received pass the limit, so an oversized body is never
    held in memory whole.
    """

    def __init__(self, scope: Any, receive: Any, limit: int) -> None:
        super().__init__(scope, receive)
        self._limit = limit

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length")
            if declared is not None:
                try:
                    if int(declared) > self._limit:
                        raise TracheaError(ErrorCode.PAYLOAD_TOO_LARGE)
                except ValueError:
                    raise TracheaError(
                        ErrorCode.VALIDATION_ERROR, "Invalid Content-Length"
                    ) from None
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > self._limit:
                    raise TracheaError(ErrorCode.PAYLOAD_TOO_LARGE)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body
