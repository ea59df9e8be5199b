"""Every question ``hub init`` asks has its prompt and its help text, in French and English."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.init.messages import MESSAGES
from hub.init.wizard import TOOLS
from tests.helpers import REPO

ASKING = {"ask", "choose", "confirm"}


def _asked() -> set[str]:
    """The keys of every question in hub/init (an f-string key once per tool that uses it)."""
    keys: set[str] = set()
    for path in sorted(Path(REPO / "hub" / "init").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ASKING and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
            elif isinstance(first, ast.JoinedStr):  # f"{tool}.calendar": the calendar of caldav and nextcloud
                tail = "".join(str(v.value) for v in first.values if isinstance(v, ast.Constant))
                keys |= {f"{tool}{tail}" for tool in ("caldav", "nextcloud")}
    return keys


def test_every_question_has_a_prompt_and_a_help_text() -> None:
    asked = _asked()
    assert {"hub.language", "hub.tools", "caldav.url", "telegram.token", "nextcloud.calendar"} <= asked
    missing = sorted(k for key in asked for k in (key, f"{key}.help") if k not in MESSAGES)
    assert not missing, f"questions without their prompt or help: {missing}"
    for key in asked:
        assert MESSAGES[f"{key}.help"]["fr"] and MESSAGES[f"{key}.help"]["en"]


def test_every_tool_is_offered_by_name() -> None:
    assert all(f"tool.{key}" in MESSAGES for key in TOOLS)
