"""What a person typed shows in HumHub as typed: Markdown and HTML entities escaped, and read back."""

from __future__ import annotations

import pytest

from connectors.humhub.entries import escape, unescape


@pytest.mark.parametrize("typed", ["&lt;script&gt;alert(1)&lt;/script&gt;", "**gras** [lien](javascript:x)",
                                   "a & b", "<img src=x onerror=alert(1)>", "# titre"])
def test_typed_text_is_escaped_and_read_back(typed: str) -> None:
    shown = escape(typed)
    assert "&lt;" not in shown.replace("\\&lt;", "")
    assert unescape(shown) == typed
