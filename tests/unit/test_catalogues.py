"""Every message a person reads exists in French and English, with the same placeholders."""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest

PACKAGES = ("config", "sync", "connectors", "bots", "hub")


def _catalogues() -> list[tuple[str, str]]:
    """Every Catalogue the product defines, found by walking its packages (a new one is
    checked without being listed here)."""
    from sync.i18n import Catalogue

    found = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, Catalogue) and (info.name, name) not in found and _defined_in(module, name):
                    found.append((info.name, name))
    return found


def _defined_in(module: object, name: str) -> bool:
    """The catalogue is this module's own, not one it imported."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    return any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets)
               for node in tree.body)


CATALOGUES = _catalogues()


def test_the_known_catalogues_are_found() -> None:
    assert {("sync.i18n", "MESSAGES"), ("hub.messages", "MESSAGES"), ("hub.help", "HELP"),
            ("bots.messages", "BOT_MESSAGES"), ("sync.review", "MESSAGES"),
            ("config.messages", "MESSAGES")} <= set(CATALOGUES)


def test_every_help_text_of_the_command_line_comes_from_both_languages() -> None:
    import click

    from hub.cli import cli
    from hub.help import HELP, LANGUAGE

    known = {texts[LANGUAGE] for texts in HELP.values()}

    def walk(command: click.Command, path: str) -> None:
        assert command.help in known, f"{path}: help not in hub.help.HELP"
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                assert param.help in known, f"{path} {param.opts[0]}: help not in hub.help.HELP"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    walk(cli, "hub")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("module", "name"), CATALOGUES)
def test_french_and_english_everywhere(module: str, name: str) -> None:
    catalogue = getattr(importlib.import_module(module), name)
    assert catalogue, f"{module}.{name} is empty"
    for key, texts in catalogue.items():
        assert set(texts) >= {"fr", "en"}, f"{module}: '{key}' lacks a language"
        assert texts["fr"].strip() and texts["en"].strip(), f"{module}: '{key}' has an empty text"
        assert placeholders(texts["fr"]) == placeholders(texts["en"]), f"{module}: '{key}' placeholders differ"


def _logged_templates() -> list[tuple[str, str]]:
    """Every literal template the product passes to a logger (log.warning("...", ...))."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("debug", "info", "warning", "error", "exception", "critical")
                        and isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logger")):
                    first = node.args[0] if node.args else None
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                        f"{where}: log with a literal template, so it can be translated"
                    if node.func.attr != "debug":  # debug lines are for developers
                        found.append((where, first.value))
    return found


def test_every_log_line_a_person_reads_is_in_french_and_english() -> None:
    from config.words import LOGGED

    _catalogues()  # imports every module, so each declares its log texts
    missing = [f"{where}: {template!r}" for where, template in _logged_templates() if template not in LOGGED]
    assert not missing, ("log templates without their French (hub.logs.LOG_TEXTS, or the module's own "
                         "sync.i18n.log_texts):\n" + "\n".join(missing))


def test_a_log_line_is_shown_in_the_configured_language() -> None:
    import logging

    from hub.logs import Translate

    record = logging.LogRecord("sync.pull", logging.WARNING, __file__, 1, "pull from %s failed: %s",
                               ("calendar", "cannot reach http://127.0.0.1:9/"), None)
    Translate("fr").filter(record)
    assert f"{record.levelname} {record.getMessage()}" == \
        "ATTENTION lecture de calendar en échec : cannot reach http://127.0.0.1:9/"
