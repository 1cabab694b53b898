"""The interactive API docs (Swagger UI), with its files served by the service itself.

FastAPI's default page loads Swagger UI from a CDN, so it is blank on a machine without
internet (and asks a third party for every page view). The files come from the
`swagger-ui-py` wheel (Swagger UI 5, which renders OpenAPI 3.1) and are served under
`/docs/assets`, so the page references its own origin only.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"
SWAGGER_UI_FILES = Path(swagger_ui.__file__).parent / "static"


def install_docs(app: FastAPI, *, openapi_url: str) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_UI_FILES), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
