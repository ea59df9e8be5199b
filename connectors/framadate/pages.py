"""Reading Framadate's HTML by what it means, not by its layout.

Framadate has no API: each step answers with a page. What the hub needs from a page is found by
form field names and by the few class names its templates give a meaning to (``has-error`` on a
field's group, ``alert-danger`` for a refusal, ``alert-warning`` around the error page's ``h2``),
so a new theme or a moved ``div`` changes nothing. A CAPTCHA is recognised by the widgets the
usual services embed (hCaptcha, reCAPTCHA, Friendly Captcha) or a field named after one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

CAPTCHA_CLASSES = ("h-captcha", "g-recaptcha", "frc-captcha", "cf-turnstile", "captcha")


@dataclass
class Page:
    """What a Framadate page says: its form fields, the fields it refuses and its messages."""

    fields: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    alerts: list[str] = field(default_factory=list)
    error: str | None = None
    captcha: bool = False


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._divs: list[str] = []  # the class of each open div
        self._text: list[str] | None = None
        self._text_depth = 0
        self._in_warning_h2 = False
        self._h2: list[str] = []

    def _in(self, cls: str) -> bool:
        return any(cls in c.split() for c in self._divs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "")
        if any(c in classes.split() for c in CAPTCHA_CLASSES) or "captcha" in values.get("name", "").lower():
            self.page.captcha = True
        if tag == "div":
            self._divs.append(classes)
            if "alert-danger" in classes.split() and self._text is None:
                self._text, self._text_depth = [], len(self._divs)
        elif tag in ("input", "textarea", "select", "button") and values.get("name"):
            self.page.fields.add(values["name"])
            if self._in("has-error"):
                self.page.refused.add(values["name"])
        elif tag == "h2" and self._in("alert-warning"):
            self._in_warning_h2 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            if self._text is not None and len(self._divs) == self._text_depth:
                said = " ".join("".join(self._text).split())
                if said:
                    self.page.alerts.append(said)
                self._text = None
            self._divs.pop()
        elif tag == "h2" and self._in_warning_h2:
            self._in_warning_h2 = False
            said = " ".join("".join(self._h2).split())
            if said:
                self.page.error = said

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._in_warning_h2:
            self._h2.append(data)


def read_page(text: str) -> Page:
    """The meaning of one page (never raises on malformed HTML: browsers do not either)."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.page
