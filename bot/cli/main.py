"""Command line: run the assistant, chat in the terminal, parse text, report on content.

python -m bot run                 gateway + action server (what `make run` does)
python -m bot serve               gateway only (the action server runs elsewhere)
python -m bot chat                talk to the assistant in this terminal
python -m bot parse [--lang L]    one text per line on stdin -> one JSON object per line
python -m bot content report      every playbook step and resource with its source
python -m bot evaluate [--lang L] held-out NLU accuracy per language into reports/
python -m bot evaluate --conversations [--lang L]   the conversation corpus through the gateway,
                                  pass rates into reports/conversations.md
python -m bot evaluate --conversations --corpus DIR [--out DIR]   conversations of your own, same checks
python -m bot sms-report [--lang L] [--price P] [--texts-only]   encoding, segments and cost of every
                                  text and of the corpus's turns on SMS, into reports/sms.md
python -m bot menu-order          count the corpus's situations into content/menu.yml (the menu's order)
python -m bot staff add NAME --role agent|supervisor [--display-name D] [--languages sw,en]
                                  a helpline staff account (Redis); the password on stdin
python -m bot staff languages NAME sw,en | list | remove NAME   the languages they counsel in; accounts
python -m bot insights report --from YYYY-MM --to YYYY-MM [--format md|csv|json]   anonymised counts
                                  of closed tickets, cells below INSIGHTS_MIN_COUNT withheld
python -m bot inbox export [--lang L]   labelled inbox items into nlu_data/<lang>/inbox.yml (docs/inbox.md)
python -m bot storage upgrade     move keys an older version named by address to their pseudonymous
                                  names (done at every start too; run it once the last old replica stopped)

Each command imports only what it needs: staff, deliveries and storage start without Rasa or TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.handoff.staff import Role
from bot.ops.logs import configure_logging
from bot.ops.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except SettingsError as error:
        sys.exit(str(error))


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
    evaluate_cmd.add_argument(
        "--corpus", type=Path, help="with --conversations: a folder of <lang>.yml conversations of your own"
    )
    evaluate_cmd.add_argument(
        "--out", type=Path, help="with --corpus: where conversations.md and the transcripts go (default: it)"
    )
    sms_cmd = commands.add_parser("sms-report", help="SMS encoding, segments and cost into reports/sms.md")
    sms_cmd.add_argument("--lang", help="one language; default: every language")
    sms_cmd.add_argument("--price", type=float, default=0.01, help="price of one SMS segment (default 0.01)")
    sms_cmd.add_argument("--texts-only", action="store_true", help="leave out the conversation corpus")
    commands.add_parser("menu-order", help="the corpus's situation counts into content/menu.yml")
    staff_cmd = commands.add_parser("staff", help="helpline staff accounts (in Redis)")
    staff_actions = staff_cmd.add_subparsers(dest="action", required=True)
    staff_add = staff_actions.add_parser("add", help="add a staff member; the password is read from stdin")
    staff_add.add_argument("name", help="login name: 2-32 characters of a-z 0-9 . _ -")
    staff_add.add_argument("--role", required=True, choices=[role.value for role in Role])
    staff_add.add_argument("--display-name", help="the name survivors see; default: the login name")
    staff_add.add_argument("--languages", default="", help="languages they counsel in, e.g. sw,en")
    staff_languages = staff_actions.add_parser("languages", help="set the languages they counsel in")
    staff_languages.add_argument("name")
    staff_languages.add_argument("languages", help="language codes, e.g. sw,en")
    staff_actions.add_parser("list", help="name, role and display name of every staff member")
    staff_remove = staff_actions.add_parser("remove", help="remove a staff member and end their sessions")
    staff_remove.add_argument("name")
    storage_cmd = commands.add_parser("storage", help="what is kept in Redis")
    storage_cmd.add_argument("action", choices=["upgrade"], help="move keys of older versions' naming")
    insights_cmd = commands.add_parser("insights", help="anonymised counts of closed tickets")
    insights_cmd.add_argument("action", choices=["report"])
    insights_cmd.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    insights_cmd.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    insights_cmd.add_argument("--format", choices=["md", "csv", "json"], default="md")
    inbox_cmd = commands.add_parser("inbox", help="sentences kept, with consent, to improve the NLU")
    inbox_cmd.add_argument("action", choices=["export"], help="labelled items into nlu_data/<lang>/inbox.yml")
    inbox_cmd.add_argument("--lang", help="only this language")
    args = parser.parse_args(argv)
    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    # Imported per command: only the commands that run the assistant load Rasa and TensorFlow.
    match args.command:
        case "run" | "serve" | "chat" | "parse":
            from bot.cli import serve

            if args.command == "parse":
                serve.parse(settings, args.lang)
            else:
                {"run": serve.run, "serve": serve.serve, "chat": serve.chat}[args.command](settings)
        case "content":
            from bot.cli.content_report import report

            sys.exit(report(settings.show_unverified))
        case "telegram" | "deliveries" | "staff" | "storage":
            from bot.cli import admin

            if args.command == "telegram":
                admin.set_telegram_webhook(settings, args.url)
            elif args.command == "deliveries":
                admin.deliveries(settings)
            elif args.command == "storage":
                admin.storage_upgrade(settings)
            else:
                admin.staff(settings, args)
        case "insights":
            from bot.cli import insights

            insights.report(settings, args.first, args.last, args.format)
        case "inbox":
            from bot.cli import inbox

            inbox.export(settings, args.lang)
        case "sms-report":
            from bot.cli import sms_report

            sms_report.report(settings, args.lang, args.price, corpus=not args.texts_only)
        case "menu-order":
            from bot.cli import menu_order

            menu_order.main()
        case "evaluate":
            from bot.cli import evaluate

            if args.conversations:
                evaluate.conversations(settings, args.lang, args.corpus, args.out)
            else:
                sys.exit(evaluate.heldout(settings, args.lang))
