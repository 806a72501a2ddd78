"""Command line: run the assistant, chat in the terminal, parse text, report on content.

python -m bot run                 gateway + action server (what `make run` does)
python -m bot serve               gateway only (the action server runs elsewhere)
python -m bot chat                talk to the assistant in this terminal
python -m bot parse [--lang L]    one text per line on stdin -> one JSON object per line
python -m bot content report      every playbook step and resource with its source
python -m bot evaluate [--lang L] held-out NLU accuracy per language into reports/
python -m bot evaluate --conversations [--lang L]   the conversation corpus through the gateway,
                                  pass rates into reports/conversations.md
python -m bot staff add NAME --role agent|supervisor [--display-name D]   password on stdin
python -m bot staff list | remove NAME                                    helpline staff accounts (Redis)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import time
import uuid
from dataclasses import replace

from aiohttp import web

from bot import conversation_eval
from bot.action_server import running_action_server
from bot.app import build_gateway, connect_redis, create_app
from bot.channels.telegram import TelegramChannel
from bot.content_report import report
from bot.conversations import METRICS
from bot.engine import Engine
from bot.handoff.hours import ScheduleError
from bot.handoff.staff import Role, StaffError, StaffStore
from bot.hardening import server_options
from bot.language import Detector
from bot.logs import AccessLog, configure_logging
from bot.messages import Choice, InboundKind, InboundMessage, OutboundMessage
from bot.nlu_eval import evaluate, heldout_languages, write_report
from bot.ops import SHUTDOWN_TIMEOUT_SECONDS
from bot.outbox import FAILURES
from bot.settings import ROOT, Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except SettingsError as error:
        sys.exit(str(error))


def serve(settings: Settings) -> None:
    engine = Engine.load(settings)
    try:
        app = create_app(settings, engine)
    except (ScheduleError, SettingsError) as error:
        sys.exit(str(error))
    print(f"SafeSpaces is listening on http://{settings.host}:{settings.port}")
    rest_auth = "bearer token required" if settings.rest_token else "open: set REST_TOKEN outside development"
    print(f"  REST channel: POST http://{settings.host}:{settings.port}/webhooks/rest/webhook ({rest_auth})")
    if settings.web_chat:
        print(f"  web chat: http://{settings.host}:{settings.port}/")
    channels = [name for name in ("telegram", "whatsapp", "twilio") if getattr(settings, name)]
    print(f"  channels: REST{''.join(', ' + name for name in channels)}")
    print(f"  action server: {settings.action_server_url}")
    print(f"  storage: {'Redis' if settings.redis_url else 'in memory (set REDIS_URL for Redis)'}")
    print(f"  staff console: http://{settings.host}:{settings.port}/console")
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=AccessLog,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        **server_options(settings),
    )


def run(settings: Settings) -> None:
    with running_action_server(settings.action_server_url):
        serve(settings)


def format_reply(reply: OutboundMessage) -> str:
    lines = [reply.text]
    lines += [f"  [{n}] {choice.title}" for n, choice in enumerate(reply.choices, start=1)]
    return "\n".join(lines)


async def _chat(settings: Settings, engine: Engine) -> None:
    """The terminal is one more channel: its messages take the same turn as everyone's."""
    gateway = build_gateway(settings, engine, connect_redis(settings))
    sender = uuid.uuid4().hex[:12]
    choices: tuple[Choice, ...] = ()
    print("Type a message (a number picks a button; Ctrl-D ends).")
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(choices):
            text = choices[int(text) - 1].payload
        kind = InboundKind.CHOICE if text.startswith("/") else InboundKind.TEXT
        message = InboundMessage(
            channel="terminal", provider_id=uuid.uuid4().hex, sender=sender, kind=kind, text=text
        )
        replies = await gateway.turn(message)
        for reply in replies:
            print(format_reply(reply), end="\n\n")
        choices = next((r.choices for r in reversed(replies) if r.choices), ())


def chat(settings: Settings) -> None:
    with running_action_server(settings.action_server_url):
        asyncio.run(_chat(settings, Engine.load(settings)))


async def _parse(engine: Engine, language: str | None) -> None:
    detector = Detector(engine.vocabularies)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        parse = await engine.parse(text, language or detector.best(text))
        record = {
            "text": parse.text,
            "language": parse.language,
            "intent": parse.intent,
            "confidence": round(parse.confidence, 4),
        }
        print(json.dumps(record, ensure_ascii=False), flush=True)


async def _set_telegram_webhook(settings: Settings, url: str) -> None:
    if settings.telegram is None:
        sys.exit("TELEGRAM_TOKEN is not set")
    if settings.telegram.secret_token is None:
        sys.exit("TELEGRAM_SECRET_TOKEN is not set: Telegram would post unauthenticated updates")
    redis = connect_redis(settings)  # registering a webhook records no message: it stays unused
    channel = TelegramChannel(
        token=settings.telegram.token,
        secret_token=settings.telegram.secret_token,
        api_url=settings.telegram.api_url,
        polling=False,
        redis=redis,
    )
    await channel.bot.initialize()
    try:
        await channel.set_webhook(url)
    finally:
        await channel.bot.shutdown()
        await redis.close()
    print(f"Telegram will post updates to {url}")


async def _deliveries(settings: Settings, limit: int = 20) -> None:
    if not settings.redis_url:
        sys.exit("REDIS_URL is not set: the embedded in-memory store lives only inside `make run`")
    redis = connect_redis(settings)
    try:
        counters = {k.decode(): int(v) for k, v in (await redis.hgetall(METRICS)).items()}
        failures = [json.loads(raw) for raw in await redis.lrange(FAILURES, 0, limit - 1)]
    finally:
        await redis.close()
    for name, value in sorted(counters.items()):
        print(f"{name:40} {value}")
    print(f"\nlatest {len(failures)} failed sends:")
    for failure in failures:
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(failure["at"]))
        print(f"{at} UTC  {failure['channel']:9} {failure['conversation']}  {failure['reason']}")


async def _staff(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.redis_url:
        sys.exit(
            "staff accounts live in Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
            "without Redis, `make run` prints a one-time demo login"
        )
    redis = connect_redis(settings)
    store = StaffStore(redis)
    try:
        match args.action:
            case "add":
                if sys.stdin.isatty():
                    password = getpass.getpass("password: ")
                    if getpass.getpass("password again: ") != password:
                        sys.exit("the passwords differ")
                else:  # one line, so scripts and tests can pipe it
                    password = sys.stdin.readline().rstrip("\r\n")
                staff = await store.add(args.name, password, Role(args.role), args.display_name)
                print(f"added {staff.role.value} {staff.name} ({staff.display_name})")
            case "list":
                for staff in await store.all():
                    print(f"{staff.name:32} {staff.role.value:10} {staff.display_name}")
            case "remove":
                if not await store.remove(args.name):
                    sys.exit(f"no staff member named {args.name!r}")
                print(f"removed {args.name}; their console sessions are ended")
    except StaffError as error:
        sys.exit(str(error))
    finally:
        await redis.close()


async def _evaluate(engine: Engine, languages: list[str]) -> None:
    for language in languages:
        evaluation = await evaluate(engine, language)
        path = write_report(evaluation)
        print(
            f"{language}: accuracy {evaluation.accuracy:.3f}, macro-F1 {evaluation.macro_f1:.3f} "
            f"on {evaluation.total} held-out examples -> {path.relative_to(ROOT)}"
        )


async def _evaluate_conversations(settings: Settings, engine: Engine, languages: list[str] | None) -> None:
    gateway = build_gateway(settings, engine, connect_redis(settings))
    scripts = conversation_eval.load_scripts(languages)
    outcomes = [await conversation_eval.run_script(gateway, engine, script) for script in scripts]
    path = conversation_eval.write_report(outcomes)
    summary = conversation_eval.rates(outcomes)
    for language in sorted(summary.counts):
        cells = [
            f"{prop} {rate:.0%}"
            for prop in conversation_eval.PROPERTIES
            if (rate := summary.rate(language, prop)) is not None
        ]
        print(f"{language}: {', '.join(cells)}")
    print(f"{len(outcomes)} conversations -> {path.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="gateway and action server")
    commands.add_parser("serve", help="gateway only")
    commands.add_parser("chat", help="talk to the assistant in the terminal")
    parse_cmd = commands.add_parser("parse", help="classify one text per line from stdin")
    parse_cmd.add_argument("--lang", help="language code; default: the configured default")
    content_cmd = commands.add_parser("content", help="content tools")
    content_cmd.add_argument("action", choices=["report"])
    telegram_cmd = commands.add_parser("telegram", help="Telegram tools")
    telegram_cmd.add_argument("action", choices=["set-webhook"])
    telegram_cmd.add_argument("url", help="the public HTTPS URL of /webhooks/telegram/webhook")
    commands.add_parser("deliveries", help="delivery counters and recent failed sends")
    evaluate_cmd = commands.add_parser("evaluate", help="held-out NLU report into reports/")
    evaluate_cmd.add_argument("--lang", help="one language; default: every held-out set")
    evaluate_cmd.add_argument(
        "--conversations", action="store_true", help="the conversation corpus instead of held-out NLU"
    )
    staff_cmd = commands.add_parser("staff", help="helpline staff accounts (in Redis)")
    staff_actions = staff_cmd.add_subparsers(dest="action", required=True)
    staff_add = staff_actions.add_parser("add", help="add a staff member; the password is read from stdin")
    staff_add.add_argument("name", help="login name: 2-32 characters of a-z 0-9 . _ -")
    staff_add.add_argument("--role", required=True, choices=[role.value for role in Role])
    staff_add.add_argument("--display-name", help="the name survivors see; default: the login name")
    staff_actions.add_parser("list", help="name, role and display name of every staff member")
    staff_remove = staff_actions.add_parser("remove", help="remove a staff member and end their sessions")
    staff_remove.add_argument("name")
    args = parser.parse_args(argv)
    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    match args.command:
        case "run":
            run(settings)
        case "serve":
            serve(settings)
        case "chat":
            chat(settings)
        case "parse":
            asyncio.run(_parse(Engine.load(settings), args.lang))
        case "content":
            sys.exit(report(settings.show_unverified))
        case "telegram":
            asyncio.run(_set_telegram_webhook(settings, args.url))
        case "deliveries":
            asyncio.run(_deliveries(settings))
        case "staff":
            asyncio.run(_staff(settings, args))
        case "evaluate" if args.conversations:
            # Where she is comes from her channel and her words only, as on the web chat.
            settings = replace(settings, default_country=None)
            engine = Engine.load(settings)
            languages = [args.lang] if args.lang else None
            with running_action_server(settings.action_server_url):
                asyncio.run(_evaluate_conversations(settings, engine, languages))
        case "evaluate":
            engine = Engine.load(settings)
            languages = [args.lang] if args.lang else heldout_languages()
            asyncio.run(_evaluate(engine, [lang for lang in languages if lang in engine.languages]))


if __name__ == "__main__":
    main()
