"""The web console: static pages under ``/ui/`` that read the planner's own JSON API from the browser.

No build step and no CDN: the pages are plain HTML, CSS and JavaScript in ``services/planner/ui/``,
and the charts use the Plotly bundle shipped inside the ``plotly`` package. The pages themselves hold
no data, so they are served without a token; the browser asks the person for one and sends it on
each API call (kept in ``sessionStorage``, gone with the tab).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

PREFIX = "/ui"
PAGES = Path(__file__).with_name("ui")


def plotly_bundle() -> Path:
    """The minified Plotly the ``plotly`` package ships (the one its offline HTML export embeds)."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js is missing from the plotly package ({path})")
    return path


def install(app: FastAPI) -> None:
    """Serve the console at ``/ui/`` (and its chart library at ``/ui/vendor/plotly.min.js``)."""
    bundle = plotly_bundle()

    @app.get(PREFIX, include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/")

    @app.get(f"{PREFIX}/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        if not bundle.is_file():
            raise HTTPException(404, detail=["the chart library is not installed"])
        return FileResponse(bundle, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount(PREFIX, StaticFiles(directory=PAGES, html=True), name="console")
