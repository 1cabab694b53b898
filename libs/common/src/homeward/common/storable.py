"""Text a database column can hold, refused at the API edge once for every service.

PostgreSQL's text cannot hold NUL (`invalid byte sequence for encoding "UTF8": 0x00`), and no
UTF-8 column can hold a lone surrogate (JSON's `"\\ud800"`): either would reach the database
from a path id, a query filter, a header or a body string and come back as a 500. So the
path, the query and the headers are checked by `StorableTextOnly` before routing (inside
authentication: 401 still comes first), and every `Command` walks its raw input with
`first_unstorable`; both answer 422.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from homeward.common.auth.deps import API_PREFIX
from homeward.common.errors import problem_response

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "text may not contain NUL or unpaired surrogate characters"
ERROR_TYPE = "text_unstorable"


def first_unstorable(value: Any, loc: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in a parsed JSON value the first unstorable string is (for a key: the object
    holding it, since the key cannot be shown); None if nowhere."""
    if isinstance(value, str):
        return loc if UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE.search(key):
                return loc
            if (found := first_unstorable(item, (*loc, key))) is not None:
                return found
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, item in enumerate(value):
            if (found := first_unstorable(item, (*loc, index))) is not None:
                return found
    return None


class StorableTextOnly:
    """ASGI middleware: 422 for a path, query string or header value the database cannot
    store, whatever API route it was meant for. (The FHIR API answers in its own
    OperationOutcome, with its ids and parameters patterned.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = scope["type"] == "http" and scope["path"].startswith(API_PREFIX)
        if api and (where := _unstorable_part(scope)):
            errors = [{"loc": [where], "msg": MESSAGE, "type": ERROR_TYPE}]
            response = problem_response(
                422, "Unprocessable content", f"{where}: {MESSAGE}", errors=errors
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _unstorable_part(scope: Scope) -> str | None:
    if UNSTORABLE.search(scope["path"]):
        return "path"
    # Decoded as Starlette decodes it for the routes (invalid UTF-8 becomes U+FFFD).
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    if first_unstorable(query) is not None:
        return "query"
    if any(b"\x00" in value for _, value in scope.get("headers") or ()):
        return "header"
    return None
