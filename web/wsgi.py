"""What the HTTP server loads (Procfile): each frontend's app, built in the worker process.

    granian --interface wsgi --factory web.wsgi:watch_app   (port 8003)
    granian --interface wsgi --factory web.wsgi:heat_app    (port 8004)

granian calls the factory once in each worker. Everything every request needs is loaded
there, then frozen out of the garbage collector's reach (config/gc_tuning.py says why).
Each factory imports only its own frontend: a heat-api worker never loads the watch app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.gc_tuning import freeze_long_lived

if TYPE_CHECKING:
    from flask import Flask


def watch_app() -> Flask:
    from web.aws.model import service_model
    from web.watch_app import create_watch_app

    app = create_watch_app()
    service_model()  # the CloudWatch model otherwise loads on the first request
    freeze_long_lived()
    return app


def heat_app() -> Flask:
    from web.heat_app import create_heat_app

    app = create_heat_app()
    freeze_long_lived()
    return app
