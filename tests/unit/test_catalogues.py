"""Every message a person reads exists in French and English, with the same placeholders."""

from __future__ import annotations

import importlib
import string

import pytest

CATALOGUES = [
    ("sync.i18n", "MESSAGES"),
    ("hub.messages", "MESSAGES"),
    ("connectors.caldav", "MESSAGES"),
    ("connectors.chat_render", "MESSAGES"),
    ("connectors.files", "MESSAGES"),
    ("connectors.etherpad.messages", "MESSAGES"),
    ("connectors.nextcloud.connector", "MESSAGES"),
    ("connectors.wordpress.messages", "MESSAGES"),
    ("sync.validate", "MESSAGES"),
    ("bots.messages", "BOT_MESSAGES"),
]


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
