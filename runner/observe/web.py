"""The web dashboard and the metrics endpoint, as Starlette apps.

The server renders every piece of HTML (Jinja2, autoescaped); ``static/dashboard.js`` polls
``/fragments`` once a second and swaps the rendered pieces in, so the page updates without a
reload. What reaches the page comes from :class:`~runner.observe.state.FleetState` and the
store's log lines only: no client, configuration or token is ever read here.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from runner.observe.observer import Observer
from runner.observe.state import FleetState
from runner.observe.svg import credits_svg, galaxy_svg, system_svg

#: Log lines shown in a container's tail.
LOG_TAIL = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC_TYPES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]

_templates = Environment(loader=PackageLoader("runner.observe", "templates"),
                         autoescape=select_autoescape(["html"]))


def metrics_app(registry: CollectorRegistry) -> Starlette:
    """``GET /metrics`` in Prometheus text format."""
    return Starlette(routes=[Route("/metrics", _metrics_endpoint(registry))])


def _metrics_endpoint(registry: CollectorRegistry) -> Any:
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return metrics


class Fragments:
    """Renders the dashboard's pieces from one observer."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def all(self, selected: int | None) -> dict[str, str]:
        """Every live piece of the page, rendered, keyed by the element id it fills."""
        state = self.observer.state()
        names = {c.id: c.name for c in state.containers}
        chosen = selected if selected in names else None
        return {
            "summary": self.summary(state), "containers": self.containers(state),
            "map": self.map(state), "credits": self.credits(state),
            "logs": "\n".join(self.observer.logs(chosen, LOG_TAIL)) if chosen is not None
            else "click a container to follow its log",
            "logs-name": names.get(chosen, "") if chosen is not None else "",
            "at": state.at.isoformat(timespec="seconds"),
        }

    def summary(self, state: FleetState) -> str:
        return _templates.get_template("summary.html").render(state=state)

    def containers(self, state: FleetState) -> str:
        return _templates.get_template("containers.html").render(containers=state.containers)

    def credits(self, state: FleetState) -> str:
        history = next(iter(state.credits_history.values()), ())
        return credits_svg(history)

    def map(self, state: FleetState) -> str:
        """One system map per system the fleet is in; a galaxy view first when several."""
        systems = state.systems()
        parts = []
        known = {s: self.observer.system(s) for s in systems}
        if len(systems) > 1:
            parts.append(galaxy_svg({s: (v.x, v.y) for s, v in known.items() if v is not None},
                                    state.ships))
        for symbol in systems:
            system = known[symbol]
            ships = [s for s in state.ships if s.system == symbol]
            if system is None:
                names = ", ".join(s.symbol for s in ships)
                parts.append(f"<p>{Markup.escape(symbol)}: not cached yet ({names})</p>")
                continue
            parts.append(system_svg(system, ships, focus=True))
        return "\n".join(parts) or "<p>no ships seen yet</p>"


def dashboard_app(observer: Observer, registry: CollectorRegistry, *,
                  allowed_hosts: list[str] | None = None) -> Starlette:
    """The dashboard: ``/``, ``/fragments``, ``/static/...`` and ``/metrics``.

    ``allowed_hosts`` guards against DNS rebinding; the default accepts loopback names only.
    """
    fragments = Fragments(observer)

    async def page(request: Request) -> Response:
        selected = _selected(request)
        parts = fragments.all(selected)
        html = _templates.get_template("page.html").render(
            selected=selected, selected_name=parts["logs-name"], logs=parts["logs"],
            **{k: Markup(parts[k]) for k in ("summary", "containers", "map", "credits")})
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    async def live(request: Request) -> Response:
        return JSONResponse(fragments.all(_selected(request)), headers=SECURITY_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_TYPES:
            return Response("not found", status_code=404)
        body = resources.files("runner.observe").joinpath("static", name).read_bytes()
        return Response(body, media_type=STATIC_TYPES[name], headers=SECURITY_HEADERS)

    routes = [Route("/", page), Route("/fragments", live),
              Route("/static/{name}", static), Route("/metrics", _metrics_endpoint(registry))]
    hosts = allowed_hosts or LOOPBACK_HOSTS
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


def _selected(request: Request) -> int | None:
    raw = request.query_params.get("logs", "")
    return int(raw) if raw.isdigit() else None

