"""The issuer's HTML pages (login, logout, messages) and its redirects back to clients.

Pages are server-rendered from templates/ with no script at all, under a strict
Content-Security-Policy: styles from the issuer itself only, no frames, and forms may post to
the issuer and to the one client address the flow goes back to (browsers apply form-action
to the redirect that follows a form post).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from homeward.common.idp.i18n import LANGUAGES, translations

HERE = Path(__file__).parent
STYLESHEET = (HERE / "static" / "login.css").read_bytes()
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(), auto_reload=False
)


class Pages:
    def __init__(self, realm_path: str) -> None:
        self.stylesheet_path = f"{realm_path}/login-resources/login.css"

    def render(
        self,
        template: str,
        locale: str,
        *,
        status: int = 200,
        form_targets: Iterable[str] = (),
        **context: Any,
    ) -> HTMLResponse:
        html = _templates.get_template(template).render(
            _=translations(locale).gettext,
            locale=locale,
            lang=LANGUAGES[locale][1],
            stylesheet=self.stylesheet_path,
            **context,
        )
        origins = "".join(f" {origin}" for origin in dict.fromkeys(map(_origin, form_targets)))
        policy = (
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action 'self'{origins}"
        )
        headers = {
            "Content-Security-Policy": policy,
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "Content-Language": LANGUAGES[locale][1],
        }
        return HTMLResponse(html, status_code=status, headers=headers)

    def message(self, locale: str, title: str, *, status: int = 200) -> HTMLResponse:
        """A page that only says `title` (an English msgid of the catalogue)."""
        return self.render("message.html", locale, status=status, title=title)


def redirect_to(
    uri: str, params: Mapping[str, str | None], *, status: int = 302
) -> RedirectResponse:
    """Back to a checked client address, with `params` added to its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if urlsplit(uri).query else "?"
    response = RedirectResponse(f"{uri}{separator}{query}" if query else uri, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"
