"""The console's own CSS and JavaScript (no CDN), under a URL that changes with the content,
so browsers keep them for a year and a page after the first one costs only its HTML."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter()
STATIC = files("homeward.console") / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@cache
def _asset(name: str) -> tuple[bytes, str] | None:
    suffix = "." + name.rsplit(".", 1)[-1]
    if suffix not in TYPES or "/" in name or name.startswith("."):
        return None
    resource = STATIC / name
    if not resource.is_file():
        return None
    content = resource.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


def asset_url(name: str) -> str:
    found = _asset(name)
    assert found is not None, name
    return f"/static/{found[1]}/{name}"


@router.get("/static/{version}/{name}", include_in_schema=False)
async def static_asset(version: str, name: str) -> Response:
    found = _asset(name)
    if found is None or found[1] != version:
        return Response(status_code=404)
    content, _ = found
    media_type = TYPES["." + name.rsplit(".", 1)[-1]]
    headers = {"cache-control": "public, max-age=31536000, immutable"}
    return Response(content, media_type=media_type, headers=headers)
