"""The folders show the design, and the boundaries the docs promise hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_only_the_rasa_seam_imports_rasa() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in modules if m == "rasa" or m.startswith("rasa."))
        for path in BOT.rglob("*.py")
        if BOT / "rasa" not in path.parents
        and (modules := _imported_modules(path))
        and any(m == "rasa" or m.startswith("rasa.") for m in modules)
    }
    assert offenders == {}


def test_settings_and_the_admin_commands_start_without_rasa_or_tensorflow() -> None:
    """`python -m bot staff list` on a server must not wait seconds for TensorFlow."""
    probe = (
        "import sys, bot.ops.settings, bot.cli.main, bot.cli.admin; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'tensorflow', 'rasa_sdk'}))"
    )
    command = [sys.executable, "-c", probe]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_rasa_patch_whose_target_is_gone_stops_the_start_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another Rasa version without what a patch replaces: a clear error at start-up, not an `assert`
    that `python -O` strips, nor a silently unpatched Rasa."""
    from rasa.core.actions.action import RemoteAction

    from bot.rasa import speedups

    monkeypatch.delattr(RemoteAction, "_validate_action_result")
    with pytest.raises(speedups.RasaSeamMissing, match=r"RemoteAction\._validate_action_result"):
        speedups.apply()
