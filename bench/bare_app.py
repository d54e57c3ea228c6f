"""The reference for `bench/collector.py`: a bare Flask endpoint answering 204."""

from flask import Flask, Response


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/e")
    def collect() -> Response:
        return Response(status=204)

    return app
