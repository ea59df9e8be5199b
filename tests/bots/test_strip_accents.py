"""Accents are stripped by a translate table filled as code points are met: the same text out as
dropping every character Unicode calls combining from the NFKD form, one by one."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bots.text import fold, strip_accents


def reference(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def test_known_words() -> None:
    for text, stripped in [("Clôture", "Cloture"), ("cœur", "coeur"), ("Ærø", "AErø"), ("Ñandú", "Nandu"),
                           ("ﬁn straße", "fin straße"), ("Zoë’s café", "Zoe’s cafe"), ("日本語", "日本語")]:
        assert strip_accents(text) == stripped == reference(text)
    assert fold("L’ÉTÉ") == "l'ete"


@given(st.text(alphabet=st.characters(max_codepoint=0x2FFFF), max_size=60))
def test_any_text_as_the_reference_strips_it(text: str) -> None:
    assert strip_accents(text) == reference(text)
