"""The procflow web app: ``create_app(data_dir)`` (run it with ``procflow serve``)."""

from procflow.web.app import create_app

__all__ = ["create_app"]
