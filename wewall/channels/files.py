"""Serves the files the bot makes (calculation charts, spreadsheets and PDF reports) from the Rasa server.

Named in credentials.yml, so the route is `/webhooks/files/<name>`; WEWALL_PUBLIC_BASE_URL
points clients at it (or at nginx, which can serve the same folder directly). Only names the
bot generates are served: no paths, no listing.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from wewall.channels import guard
from wewall.channels.base import NamedChannel, health_blueprint
from wewall.settings import get_settings

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(png|xlsx|pdf)$")
TYPES = {
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",  # the calculation's one-page report
}


class FilesInput(NamedChannel):
    channel_name = "files"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        files = health_blueprint("wewall_files", __name__)

        @files.route("/<name>", methods=["GET"])
        async def serve(_: Request, name: str):
            if not SAFE_NAME.match(name) or ".." in name:
                return response.json({"error": "нет такого файла"}, status=404)
            path = get_settings().files_dir / name
            if not path.is_file():
                return response.json({"error": "нет такого файла"}, status=404)
            return await response.file(str(path), mime_type=TYPES[name.rsplit(".", 1)[1]])

        return guard.attach(files)
