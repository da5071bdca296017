"""The orchestration frontend (port 8004): Heat-style REST API for stacks.

granian --interface wsgi --port 8004 --factory web.wsgi:heat_app   (see the Procfile)
"""

from __future__ import annotations

from flask import Flask, request

from config.settings import Settings, from_env
from web.api import heat_v1
from web.common import create_base_app


def create_heat_app(settings: Settings | None = None) -> Flask:
    settings = settings or from_env()
    app = create_base_app(
        "heat-api",
        settings,
        stores={
            "orchestration": settings.orchestration_database_url,
            "identity": settings.identity_database_url,
        },
    )
    app.register_blueprint(heat_v1.blueprint)

    @app.get("/")
    def versions() -> dict:
        return {
            "versions": [
                {
                    "id": "v1.0",
                    "status": "CURRENT",
                    "links": [{"rel": "self", "href": request.host_url + "v1/"}],
                }
            ]
        }

    return app
