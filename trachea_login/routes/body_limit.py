"""The request body: at most ``TRACHEA_MAX_BODY_BYTES`` (64 KiB, else 413 ``PAYLOAD_TOO_LARGE``),
and JSON parsed strictly (else 422 ``VALIDATION_ERROR``, never a 500)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request

from ..errors import ErrorCode, TracheaError
from ..strict_json import JSONRefused, loads

logger = logging.getLogger("trachea_login")


class BodyLimitedRequest(Request):
    """A request whose body may not exceed ``limit`` bytes, and whose JSON is parsed by
    :func:`trachea_login.strict_json.loads`.

    A declared ``Content-Length`` over the limit is refused before reading anything; a chunked
    body is refused as soon as the bytes received pass the limit, so an oversized body is never
    held in memory whole. A body that is not JSON we accept (bad bytes, another encoding than
    UTF-8, numbers or nesting past the limits, ``NaN``, duplicate keys) is a 422 with one log
    line, and no traceback.
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
                        raise self._too_large()
                except ValueError:
                    raise TracheaError(
                        ErrorCode.VALIDATION_ERROR, "Invalid Content-Length"
                    ) from None
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > self._limit:
                    raise self._too_large()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    def _too_large(self) -> TracheaError:
        logger.info(
            "refused a request body over %d bytes (%s %s)", self._limit, self.method, self.url.path
        )
        return TracheaError(ErrorCode.PAYLOAD_TOO_LARGE)

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads(await self.body())
            except JSONRefused as refused:
                # The reason names a rule, never the input.
                logger.info(
                    "refused a request body: %s (%s %s)", refused, self.method, self.url.path
                )
                raise TracheaError(
                    ErrorCode.VALIDATION_ERROR,
                    f"Invalid request: the body is {_as_reason(refused)}",
                ) from None
        return self._json


def _as_reason(refused: JSONRefused) -> str:
    text = str(refused)
    return text if text.startswith("not ") else f"not accepted JSON: {text}"
