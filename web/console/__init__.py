"""A small read-only web console for the watch service, served by the watch API at /console.

Alarms with their states and last transitions, an alarm's configuration, graph and history,
and metric graphs, refreshed live by one small script. Server-rendered Jinja templates
(templates/console/), a little CSS and plain JS (static/), no build step. Sign-in is a
pasted API token (session_auth.py); views.py has the alarm pages, graph_views.py the metric
pages and the PNGs, common.py what they share.

    GET      /console/                              alarms: counts per state, ?state=, ?prefix=
    GET      /console/alarms/<path:name>            an alarm: configuration, state, graph,
                                                    history newest first (?older=<marker>)
    GET      /console/alarms/<path:name>/graph.png  its graph (?range=auto|1h|3h|12h|1d|3d|1w)
    GET      /console/metrics                       the tenant's metrics (?namespace=)
    GET      /console/metrics/graph                 one metric's graph page: namespace, name,
                                                    dimension=Name:Value (repeat), statistic,
                                                    period, range
    GET      /console/metrics/graph.png             that graph as a PNG
    GET      /console/fragments/alarms              what static/console.js swaps into the
    GET      /console/fragments/alarm?name=         alarm list and alarm page every 5 s
    GET|POST /console/login                         paste a token (session_auth.py)
    POST     /console/logout

Decisions:
- Every read goes through the services the REST API uses (alarms.describe_alarms,
  alarm_history.describe_history, metrics.list_metrics, metric_graphs.*), with the same
  validity rule for names (the per-state counts: alarms.count_by_state).
- Alarm names may hold any character. A name whose path form a browser or the router would
  rewrite (an empty, "." or ".." segment: a leading "/", "//", "a/../b") or that would read
  as the graph route (it ends in "/graph.png") is linked as /console/alarm?name=... instead;
  `alarm_url` decides, and both forms serve the same page.
- Pages work without script: the refresh is an extra, and every view is a plain link or GET
  form. Fragments and PNGs answer 401 rather than redirect when the session is gone, so the
  script can reload into the login page.
- Errors are HTML pages (the REST API's JSON errors are for programs); a graph query the
  graph service refuses is a 400, never a 500.
- Every answer carries a Content-Security-Policy without inline script or style, and
  X-Frame-Options DENY; pages are not cached (they show live, per-tenant data).
"""

from __future__ import annotations

from flask import Flask

from web.console import graph_views, session_auth, views  # noqa: F401  (their routes register)
from web.console.common import blueprint
from web.context import WebContext


def init_app(app: Flask) -> None:
    context: WebContext = app.extensions["heatwatch"]
    session_auth.install(app, context.settings.secret_key)
    app.register_blueprint(blueprint)
