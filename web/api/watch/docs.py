"""The watch REST API's documentation: the Swagger 2.0 document at /openapi.json and Swagger UI
at /docs, on the app's root (flask-restx's own root, GET /v1/, is the CloudWatch endpoint's)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, url_for
from flask_restx import Api


def docs_blueprint(api: Api) -> Blueprint:
    blueprint = Blueprint("watch_docs", __name__)

    @blueprint.get("/openapi.json")
    def openapi() -> tuple[Response, int]:
        document = api.__schema__
        # flask-restx answers {"error": ...} when the document cannot be built (it logs why).
        return jsonify(document), 500 if "error" in document else 200

    @blueprint.get("/docs")
    def swagger_ui() -> str:
        return render_template("swagger-ui.html", title=api.title, specs_url=url_for(".openapi"))

    return blueprint
