"""Log lines for people (text) or for a log pipeline (one JSON object per line).

Only the format changes: what is logged is decided where it is logged, and carries no message text,
number, name or token (tests/test_log_privacy.py).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from bot.evidence.exports import PATH as EXPORT_PATH  # a one-time link's token is the key to her record

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# numpy.distutils, which Rasa imports while it loads models, sets the root logger to WARNING: these
# get their level of their own. (Rasa's loggers are kept at WARNING by bot/rasa/engine.py.)
OWN_LOGGERS = ("bot", "actions", "aiohttp")
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str, level: str) -> None:
    """One handler on the root logger, on stderr; replaces any configured before. Python warnings
    from then on are log records too (libraries warn while Rasa loads), so a JSON stream stays JSON.
    Warnings raised while `bot.cli.main` imports Rasa come before the settings are read, as plain text
    (Sanic, imported by Rasa, turns DeprecationWarnings on for every module, whatever -W says)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(True)


class AccessLog(AbstractAccessLogger):
    """Method, path, status and time: no query string (a REST sender id can be a phone number), no
    client address (with the web chat, that is the person's), and no line for a probe that passed."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in PROBES and response.status < 400:
            return
        path = EXPORT_PATH + "…" if request.path.startswith(EXPORT_PATH) else request.path  # the token
        self.logger.info("%s %s %d %.3fs", request.method, path, response.status, time)
