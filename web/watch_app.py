"""The watch frontend (port 8003): the CloudWatch-compatible endpoint and the watch REST API.

    granian --interface wsgi --port 8003 --factory web.wsgi:watch_app   (see the Procfile)

The CloudWatch endpoint answers on `/` (and `/v1/`, and the CBOR operation paths); the
OpenStack-style REST API answers on `/v1/<tenant_id>/...` beside it (web/api/watch/),
with its OpenAPI document at `/openapi.json` and Swagger UI at `/docs`.
"""

from __future__ import annotations

from flask import Flask

from config.settings import Settings, from_env
from web import console
from web.api import watch as watch_api
from web.aws import endpoint as cloudwatch_endpoint
from web.common import create_base_app


def create_watch_app(settings: Settings | None = None) -> Flask:
    settings = settings or from_env()
    app = create_base_app(
        "watch-api",
        settings,
        stores={
            "watch": settings.watch_database_url,
            "identity": settings.identity_database_url,
        },
    )
    app.register_blueprint(cloudwatch_endpoint.blueprint)
    watch_api.init_app(app)
    console.init_app(app)
    return app
