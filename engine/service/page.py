"""The page at `/`: judge a dossier, or open a stored decision, from a browser.

Plain HTML with a little JavaScript (static/index.html), no build chain: it
lists the schemes and their procedures (`/schemes`), writes the skeleton of a
dossier for the procedure picked, sends the dossier pasted or chosen (and its
FEC) to `/evaluate`, and shows the decision as its report; or it opens a
stored decision's report by its id. The token is typed into the page and kept
in the tab's session storage only.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()
_PAGE = files("engine.service").joinpath("static", "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse(_PAGE)
