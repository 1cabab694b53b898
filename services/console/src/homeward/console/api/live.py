"""Live: the console's own event stream (the session cookie authenticates it: an EventSource
cannot send an Authorization header) relaying the user's notifications, a JSON badge for
the polling fallback, and the notifications page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from homeward.console.i18n import translations
from homeward.console.vocabulary import labeller
from homeward.console.web import SignedIn, SignedInForm, SignedInQuietly, console_path

router = APIRouter()


@router.get("/live/unread", include_in_schema=False)
async def unread(viewer: SignedInQuietly) -> JSONResponse:
    """The badge, for browsers without EventSource (and after a stream ends)."""
    return JSONResponse({"unread": await viewer.apis().notifications.unread()})


@router.get("/live/stream", include_in_schema=False)
async def stream(request: Request, viewer: SignedInQuietly) -> StreamingResponse:
    """The user's notifications as they arrive: a translated line and a link, nothing else."""
    assert viewer.session is not None
    console, token = viewer.console, viewer.session.access_token
    url = f"{console.settings.notifications_url.rstrip('/')}/v1/notifications/stream"
    label = labeller(translations(viewer.locale).gettext)

    async def relay() -> AsyncIterator[str]:
        yield "retry: 5000\n\n"
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last := request.headers.get("last-event-id"):
            headers["Last-Event-ID"] = last[:20]
        timeout = httpx.Timeout(10.0, read=None)
        try:
            async with console.http.stream("GET", url, headers=headers, timeout=timeout) as up:
                if up.status_code != 200:
                    yield "event: ended\ndata: {}\n\n"
                    return
                async for event in _events(up):
                    if await request.is_disconnected():
                        return
                    yield _relayed(event, label)
        except httpx.HTTPError:
            yield "event: ended\ndata: {}\n\n"

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


def _relayed(event: dict[str, str], label) -> str:  # type: ignore[no-untyped-def]
    try:
        item = json.loads(event["data"])
    except ValueError:
        return ": skipped\n\n"
    data = {
        "id": item.get("id"),
        "text": label("event", item.get("event_type", "")),
        "case_code": item.get("case_code"),
        "link": console_path(item.get("link", "")),
    }
    lines = f"event: notification\ndata: {json.dumps(data)}\n"
    if "id" in event:
        lines = f"id: {event['id']}\n" + lines
    return lines + "\n"


@router.get("/notifications", include_in_schema=False)
async def notifications(viewer: SignedIn, page: int = 1) -> Response:
    page = max(1, min(page, 1000))
    inbox = await viewer.apis().notifications.inbox(limit=20, offset=(page - 1) * 20)
    for item in inbox["items"]:
        item["local_link"] = console_path(item["link"])
    return viewer.render("notifications.html", inbox=inbox, page=page)


@router.post("/notifications/{notification_id}/read", include_in_schema=False)
async def mark_read(viewer: SignedIn, _form: SignedInForm, notification_id: int) -> Response:
    await viewer.apis().notifications.mark_read(notification_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all", include_in_schema=False)
async def mark_all_read(viewer: SignedIn, _form: SignedInForm) -> Response:
    await viewer.apis().notifications.mark_all_read()
    return RedirectResponse("/notifications", status_code=303)
