"""The web app's router (`/ui`), its static files (`/ui/static`) and the handlers that turn a missing session
into the sign-in page and an API error into a French error page. `mount_web(app)` adds them to the API's app."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.web import admin, auth, curation, explorer, recruiter
from api.web.common import HERE, PageError, SignInRequired, is_htmx, render, sign_in_url
from api.web.sessions import WebSessions

router = APIRouter(prefix="/ui", include_in_schema=False)
for module in (auth, recruiter, explorer, curation, admin):
    router.include_router(module.router)


def mount_web(app: FastAPI) -> None:
    # Sessions live in Neo4j (every worker process reads them), through the app's own database handle and key check.
    app.state.web_sessions = WebSessions(lambda: app.state.vivier.db, lambda key: app.state.vivier.authenticate(key))
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        target = sign_in_url(error.next_path)
        if is_htmx(request):  # an htmx request follows this header with a full-page navigation
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        template = "_error.html" if is_htmx(request) else "error.html"
        return render(request, template, None, error.status, status=error.status, message=error.message)
