"""A fake Framadate 1.1.x (framasoft/framadate, PHP, no API), faithful to what a browser meets.

Built from the upstream source (1.1.19): ``create_poll.php``, ``create_date_poll.php``,
``create_classic_poll.php``, ``exportcsv.php``, ``studs.php``, ``adminstuds.php``,
``app/inc/{constants,i18n,init}.php``, ``Utils.php``, ``Security/Token.php``,
``Services/{PollService,InputService}.php``, ``htaccess.txt``, ``tpl/*.tpl`` and
``locale/{en,fr}.json``. What it reproduces:

- a PHP session cookie (``PHPSESSID``, 26 characters of ``[0-9a-v]``) holding the poll being
  created between the steps; a step reached without step 1 in the session shows the error page;
- step 1 (``POST create_poll.php``: ``title``, ``name`` <= 32, ``mail`` required while
  ``use_smtp`` is on, ``description``, ``editable``, ``gotostep2=date|classic``): **302** with
  the relative ``Location:create_date_poll.php`` (or ``create_classic_poll.php``); an error
  re-renders the form with HTTP 200, the field's ``form-group`` marked ``has-error`` and an
  ``alert-danger`` message;
- date step 2 (``days[]`` in the language's parse format, en ``Y-m-d`` / fr ``d/m/Y``;
  ``horaires<N>[]`` per day; ``choixheures`` non-empty, else the step-2 form comes back):
  a day without its ``horaires<N>[]`` makes the real server loop until PHP's 30 s limit: here a
  500 "Maximum execution time" at once; a date its parser rejects is a PHP fatal error (500);
- classic step 2 (``choices[]`` + ``fin_sondage_autre``), then step 3 for both (``confirmation``
  + ``enddate``, parsed like the days, clamped to [tomorrow, +180 days]): **302** with the
  absolute admin URL as ``Location``;
- ids from ``a-zA-Z1-9``: poll id 16 characters, admin id = poll id + 8 more;
- clean URLs (``<base><pollId>``, ``<base><adminId>/admin``) or not (``studs.php?poll=``,
  ``adminstuds.php?poll=``), as the instance's ``URL_PROPRE`` says; both routes are served;
- ``exportcsv.php?poll=`` / ``?admin=``: the CSV (every cell quoted, ``"`` doubled, newlines
  removed, ``= + - @`` prefixed with ``'``, each line ending with ``,`` then CRLF), date polls with
  a day line (IntlDateFormatter SHORT: en ``10/5/21``, fr ``05/10/2021``) and a time line,
  answers as ``Yes/No/Under reserve`` or ``Oui/Non/Si nécessaire``; ``text/csv; charset=utf-8``,
  ``Content-Disposition`` and ``Cache-Control: max-age=10``. An unknown poll or admin id is the
  HTML error page with HTTP **200** ("This poll doesn't exist !"); a hidden poll read by its
  public id is "Forbidden!";
- the language of each answer: ``?lang=``, else the session's, else ``Accept-Language``, else
  the instance default (fr);
- votes as people cast them (``POST studs.php?poll=`` with ``name``, ``choices[i]`` in 0/1/2,
  ``control`` = md5 of ``<slotId>@<moments>;`` over the slots, ``save``): :class:`Voter`.

Test-side API (thread-safe)::

    with FakeFramadate().running() as fd:        # fd.url
        fd.use_smtp = False; fd.captcha = True; fd.url_propre = False
        fd.polls[poll_id]                        # what was created (title, slots, votes...)
        Voter(fd.url).vote(poll_id, "Ann", [2, 0, 1])   # through the real vote form
        fd.delete(poll_id)                       # the poll is gone (purged, deleted by its admin)
        fd.fail("/exportcsv.php", status=503, times=1)
        fd.requests                              # (method, path) of every request
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import serve

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ123456789"
SESSION_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
POLL_REGEX = re.compile(r"^[a-z0-9-]*$", re.IGNORECASE)
ADMIN_REGEX = re.compile(r"^[a-z0-9]{24}$", re.IGNORECASE)
MAX_SLOTS_PER_POLL = 366
LANGUAGES = ("fr", "en", "es", "de", "it", "br", "ca")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "Yes": "Yes", "No": "No", "Ifneedbe": "Under reserve", "Unknown": "Unknown",
        "parse": "%Y-%m-%d", "exists": "This poll doesn't exist!", "forbidden": "Forbidden!",
        "step1": "You haven't filled in the first section of the poll.", "title": "Enter a title",
        "name": "Enter a name", "mail": "Enter an email address",
        "mail_bad": "The address is not correct! You should enter a valid email address "
                    "(like r.stallman@outlock.com) in order to receive the link to your poll.",
        "captcha": "The anti-spam check failed.", "error": "Error!",
    },
    "fr": {
        "Yes": "Oui", "No": "Non", "Ifneedbe": "Si nécessaire", "Unknown": "Inconnu",
        "parse": "%d/%m/%Y", "exists": "Ce sondage n'existe pas !", "forbidden": "Interdit !",
        "step1": "Vous n'avez pas renseigné la première page du sondage", "title": "Il faut saisir un titre !",
        "name": "Il faut saisir un nom !", "mail": "Il faut saisir une adresse électronique !",
        "mail_bad": "L'adresse saisie n'est pas correcte ! Il faut une adresse électronique valide "
                    "(par exemple r.stallman@outlock.com) pour recevoir le lien vers le sondage.",
        "captcha": "La vérification anti-spam a échoué.", "error": "Erreur !",
    },
}
MAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def token(length: int) -> str:
    """``Token::getToken``: characters of ``a-zA-Z1-9`` (no 0)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def csv_escape(text: str) -> str:
    """``Utils::csvEscape``."""
    escaped = text.replace('"', '""').replace("\r\n", "").replace("\n", "")
    escaped = re.sub(r"^([=+\-@])", r"'\1", escaped)
    return f'"{escaped}"'


def short_date(day: date, lang: str) -> str:
    """IntlDateFormatter(locale, SHORT, NONE) for the two locales the tests read."""
    if lang == "en":
        return f"{day.month}/{day.day}/{day.strftime('%y')}"
    return day.strftime("%d/%m/%Y")


@dataclass
class Slot:
    id: int
    title: str  # a date poll: the day (ISO); a classic poll: the choice
    moments: list[str] = field(default_factory=list)


@dataclass
class Poll:
    id: str
    admin_id: str
    title: str
    admin_name: str
    admin_mail: str | None
    description: str
    format: str  # "D" (dates) or "A" (classic)
    end_date: date
    slots: list[Slot]
    hidden: bool = False
    votes: list[tuple[str, str]] = field(default_factory=list)  # (name, choices as "2010...")

    def columns(self) -> int:
        return sum(max(1, len(s.moments)) for s in self.slots) if self.format == "D" else len(self.slots)

    def slots_hash(self) -> str:
        """``PollService::hashSlots``."""
        return hashlib.md5("".join(f"{s.id}@{','.join(s.moments) if s.moments else ''};"
                                   for s in self.slots).encode()).hexdigest()


@dataclass
class _Form:
    """What ``$_SESSION['form']`` holds between the steps."""

    title: str | None = None
    admin_name: str | None = None
    admin_mail: str | None = None
    description: str = ""
    hidden: bool = False
    format: str | None = None
    choices: list[tuple[str, list[str]]] = field(default_factory=list)


class Form:
    """A form-encoded body as PHP reads it (``name[]`` repeated for arrays)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _v in self.pairs)

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in reversed(self.pairs) if k == key), default)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]


async def _form(request: Request) -> Form:
    if request.method != "POST":
        return Form([])
    return Form(parse_qsl((await request.body()).decode(), keep_blank_values=True))


@dataclass
class _Fault:
    path: str
    status: int
    times: int


class FakeFramadate:
    """One Framadate instance on loopback."""

    def __init__(self, *, use_smtp: bool = True, url_propre: bool = True, default_language: str = "fr") -> None:
        self.use_smtp = use_smtp
        self.url_propre = url_propre
        self.default_language = default_language
        self.captcha = False
        self.default_poll_duration = 180
        self.url = ""
        self.polls: dict[str, Poll] = {}
        self.requests: list[tuple[str, str]] = []
        self._sessions: dict[str, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._slot_ids = 0
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeFramadate]:
        with serve(self.app()) as url:
            self.url = url + "/"
            yield self

    # test-side API ---------------------------------------------------------------------
    def fail(self, path: str, *, status: int = 503, times: int = 1) -> None:
        with self._lock:
            self._faults.append(_Fault(path, status, times))

    def delete(self, poll_id: str) -> None:
        with self._lock:
            self.polls.pop(poll_id, None)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for _m, p in self.requests if p == path)

    # the app ---------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/create_poll.php", self._step1, methods=["GET", "POST"]),
            Route("/create_date_poll.php", self._date_poll, methods=["GET", "POST"]),
            Route("/create_classic_poll.php", self._classic_poll, methods=["GET", "POST"]),
            Route("/exportcsv.php", self._export, methods=["GET"]),
            Route("/studs.php", self._studs, methods=["GET", "POST"]),
            Route("/adminstuds.php", self._adminstuds, methods=["GET", "POST"]),
            Route("/{admin_id:str}/admin", self._adminstuds_clean, methods=["GET", "POST"]),
            Route("/{poll_id:str}", self._studs_clean, methods=["GET", "POST"]),
        ])

    async def _begin(self, request: Request) -> tuple[dict[str, Any], str, Response | None, str | None]:
        """PHP's ``session_start()`` and the language choice; a queued fault answers instead."""
        with self._lock:
            self.requests.append((request.method, request.url.path))
            fault = next((f for f in self._faults if f.path == request.url.path and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
                return {}, "fr", Response("Service Unavailable", status_code=fault.status,
                                          headers={"Retry-After": "1"} if fault.status in (429, 503) else {}), None
            sid = request.cookies.get("PHPSESSID")
            new_sid = None
            if sid is None or sid not in self._sessions:
                sid = new_sid = "".join(secrets.choice(SESSION_ALPHABET) for _ in range(26))
                self._sessions[sid] = {}
            session = self._sessions[sid]
        lang = request.query_params.get("lang")
        if lang not in LANGUAGES:
            lang = session.get("lang")
        if lang not in LANGUAGES:
            accepted = [part.split(";")[0].strip()[:2].lower()
                        for part in request.headers.get("accept-language", "").split(",") if part.strip()]
            lang = next((a for a in accepted if a in LANGUAGES), self.default_language)
        return session, lang if lang in WORDS else "en", None, new_sid

    @staticmethod
    def _cookie(response: Response, new_sid: str | None) -> Response:
        if new_sid is not None:
            response.set_cookie("PHPSESSID", new_sid, path="/")
        response.headers["Expires"] = "Thu, 19 Nov 1981 08:52:00 GMT"  # PHP's session cache limiter
        return response

    def _page(self, lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)} - Framadate</title>\n</head>\n<body>\n<div class=\"container ombre\">\n"
            f'<header role="banner"><h1><a href="{self.url}">Framadate</a></h1></header>\n'
            f'<main role="main">\n{body}\n</main>\n</div>\n</body>\n</html>\n',
            status_code=status,
        )

    def _error(self, lang: str, key: str) -> HTMLResponse:
        """``tpl/error.tpl``: HTTP 200 whatever went wrong."""
        message = WORDS[lang][key]
        return self._page(lang, WORDS[lang]["error"],
                          f'<div class="alert alert-warning text-center">\n<h2>{html.escape(message)}</h2>\n'
                          f'<p>Back to the homepage of <a href="{self.url}">Framadate</a></p>\n</div>')

    @staticmethod
    def _fatal(message: str) -> Response:
        return Response(f"<br />\n<b>Fatal error</b>:  {message}", status_code=500, media_type="text/html")

    # step 1 ------------------------------------------------------------------------------
    async def _step1(self, request: Request) -> Response:
        session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        form: _Form = session.setdefault("form", _Form())
        data = await _form(request)
        if "lang" in data and data["lang"] in LANGUAGES:
            session["lang"] = data["lang"]
        poll_type = "date" if request.query_params.get("type") == "date" or data.get("type") == "date" else "classic"
        errors: dict[str, str] = {}
        goto = str(data.get("gotostep2", ""))
        if goto in ("date", "classic"):
            title = str(data.get("title", ""))
            name = str(data.get("name", "")).strip()
            mail = str(data.get("mail", "")).strip() if self.use_smtp else None
            if not title.replace(" ", ""):
                errors["title"] = WORDS[lang]["title"]
            if not name.replace(" ", ""):
                errors["name"] = WORDS[lang]["name"]
            elif len(name) > 32:
                errors["name"] = "Name is limited to 32 characters"
            if self.use_smtp:
                if not data.get("mail"):
                    errors["mail"] = WORDS[lang]["mail"]
                elif not MAIL.match(mail or ""):
                    errors["mail"] = WORDS[lang]["mail_bad"]
            if self.captcha and not data.get("h-captcha-response"):
                errors["captcha"] = WORDS[lang]["captcha"]
            if not errors:
                form.title, form.admin_name, form.admin_mail = title, name, mail
                form.description = str(data.get("description", "")).replace("\r\n", "\n")
                form.hidden = str(data.get("hidden", "")).lower() in ("on", "true", "1")
                target = "create_date_poll.php" if goto == "date" else "create_classic_poll.php"
                return self._cookie(Response(status_code=302, headers={"Location": target}), sid)
        return self._cookie(self._step1_form(lang, poll_type, data, errors), sid)

    def _step1_form(self, lang: str, poll_type: str, data: Form, errors: dict[str, str]) -> HTMLResponse:
        def group(name: str, field_html: str) -> str:
            mark = " has-error" if name in errors else ""
            alert = (f'<div class="alert alert-danger"><p id="poll_{name}_error">{html.escape(errors[name])}</p></div>'
                     if name in errors else "")
            return f'<div class="form-group{mark}">\n<div class="col-sm-8">{field_html}</div>\n</div>\n{alert}'

        value = lambda key: html.escape(str(data.get(key, "")), quote=True)  # noqa: E731
        parts = [group("name", f'<input id="yourname" type="text" required maxlength="32" name="name" '
                               f'class="form-control" value="{value("name")}" />')]
        if self.use_smtp:
            parts.append(group("mail", f'<input id="email" required type="email" name="mail" class="form-control" '
                                       f'value="{value("mail")}" />'))
        parts.append(group("title", f'<input id="poll_title" type="text" name="title" class="form-control" required '
                                    f'value="{value("title")}"/>'))
        parts.append(group("description", '<textarea id="poll_comments" name="description" class="form-control" '
                                          f'rows="5">{html.escape(str(data.get("description", "")))}</textarea>'))
        parts.append('<input type="radio" name="editable" value="0" checked><input type="radio" name="editable" '
                     'value="1"><input type="radio" name="editable" value="2">')
        parts.append('<input type="checkbox" name="receiveNewVotes"><input type="checkbox" name="receiveNewComments">'
                     '<input type="checkbox" name="hidden">')
        if self.captcha:
            parts.append(group("captcha", '<div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001">'
                                          '</div><input type="hidden" name="h-captcha-response" value="">'))
        parts.append(f'<input type="hidden" name="type" value="{poll_type}"/>')
        parts.append(f'<button name="gotostep2" value="{poll_type}" type="submit" class="btn btn-success">'
                     "Next</button>")
        body = ('<div class="row" style="display:none" id="form-block"><div class="col-md-8 col-md-offset-2">\n'
                '<form name="formulaire" id="formulaire" method="POST" class="form-horizontal">\n'
                + "\n".join(parts) + "\n</form>\n</div></div>")
        title = ("Error! - " if errors else "") + "Poll creation (1 on 3)"
        return self._page(lang, title, body)

    # date poll -----------------------------------------------------------------------------
    def _parse_date(self, text: str, lang: str) -> date | None:
        try:
            return datetime.strptime(text, WORDS[lang]["parse"]).date()  # noqa: DTZ007 (a day)
        except ValueError:
            return None

    async def _date_poll(self, request: Request) -> Response:
        session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        form: _Form | None = session.get("form")
        if form is None or form.title is None or form.admin_name is None or (self.use_smtp and not form.admin_mail):
            return self._cookie(self._error(lang, "step1"), sid)
        if form.format != "D":
            form.format, form.choices = "D", []
        data = await _form(request)
        if data.get("confirmation"):
            return self._cookie(self._create(request, session, form, str(data.get("enddate", "")), lang), sid)
        if not data.get("choixheures"):
            return self._cookie(self._date_step2(lang), sid)
        days = [d for d in data.getlist("days[]") if d]
        if len(days) > MAX_SLOTS_PER_POLL:
            return self._cookie(self._date_step2(lang, f"You can't select more than {MAX_SLOTS_PER_POLL} dates"), sid)
        moments: list[list[str]] = []
        i = 0
        while len(moments) < len(days):
            if i > 1000:  # the real loop runs on until PHP's max_execution_time
                return self._fatal("Maximum execution time of 30 seconds exceeded in create_date_poll.php")
            values = data.getlist(f"horaires{i}[]")
            if values:
                moments.append([str(v) for v in values])
            i += 1
        choices: list[tuple[str, list[str]]] = []
        for text, times in zip(days, moments, strict=True):
            day = self._parse_date(str(text), lang)
            if day is None:
                return self._fatal("Uncaught Error: Call to a member function setTime() on bool")
            choices.append((day.isoformat(), [re.sub(r"<[^>]*>", "", t) for t in times if t]))
        form.choices = sorted(choices)
        summary = "".join(f"<li>{c}: {', '.join(m)}</li>" for c, m in form.choices)
        return self._cookie(self._step3(lang, summary), sid)

    def _date_step2(self, lang: str, error: str = "") -> HTMLResponse:
        alert = f'<div class="alert alert-danger">{html.escape(error)}</div>' if error else ""
        days = "".join(
            '<fieldset><input type="text" name="days[]" value=""/>'
            + "".join(f'<input type="text" name="horaires{i}[]" value=""/>' for _ in range(3))
            + "</fieldset>"
            for i in range(3)
        )
        return self._page(lang, "Poll dates (2 on 3)",
                          f'{alert}<form name="formulaire" method="POST" class="form-horizontal">{days}'
                          '<button name="choixheures" value="Next" type="submit" class="btn btn-success disabled">'
                          "Next</button></form>")

    def _step3(self, lang: str, summary: str) -> HTMLResponse:
        maximum = date.today() + timedelta(days=self.default_poll_duration)  # noqa: DTZ011 (server's day)
        # The English page pre-fills a format its own parser (Y-m-d) rejects.
        shown = short_date(maximum, lang)
        return self._page(lang, "Removal date and confirmation (3 on 3)",
                          f'<form name="formulaire" method="POST" class="form-horizontal"><ul>{summary}</ul>'
                          f'<input type="text" name="enddate" value="{shown}" size="10" maxlength="10"/>'
                          '<button name="confirmation" value="confirmation" type="submit" class="btn btn-success">'
                          "Create the poll</button></form>")

    # classic poll --------------------------------------------------------------------------
    async def _classic_poll(self, request: Request) -> Response:
        session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        form: _Form | None = session.get("form")
        if form is None or not form.title or not form.admin_name or (self.use_smtp and not form.admin_mail):
            return self._cookie(self._error(lang, "step1"), sid)
        if form.format != "A":
            form.format, form.choices = "A", []
        data = await _form(request)
        if "confirmation" in data:
            return self._cookie(self._create(request, session, form, str(data.get("enddate", "")), lang), sid)
        if "fin_sondage_autre" in data:
            if "choices[]" in data:
                form.choices = [(re.sub(r"<[^>]*>", "", str(c)), []) for c in data.getlist("choices[]") if c]
            summary = "".join(f"<li>{html.escape(c)}</li>" for c, _m in form.choices)
            return self._cookie(self._step3(lang, summary), sid)
        inputs = "".join(f'<input type="text" class="form-control" name="choices[]" size="40" value="" id="choice{i}"/>'
                         for i in range(5))
        return self._cookie(self._page(
            lang, "Poll subjects (2 on 3)",
            f'<form name="formulaire" action="{self.url}create_classic_poll.php" method="POST" '
            f'class="form-horizontal">{inputs}<button name="fin_sondage_autre" value="Next" type="submit" '
            'class="btn btn-success disabled">Next</button></form>'), sid)

    # step 4: the poll is made ----------------------------------------------------------------
    def _create(self, request: Request, session: dict[str, Any], form: _Form, enddate: str, lang: str) -> Response:
        end = self._parse_date(enddate, lang)
        if end is None:
            return self._fatal("Uncaught Error: Call to a member function setTime() on bool")
        today = date.today()  # noqa: DTZ011
        end = min(max(end, today + timedelta(days=1)), today + timedelta(days=self.default_poll_duration))
        with self._lock:
            poll_id = token(16)
            while poll_id in self.polls:
                poll_id = token(16)
            admin_id = poll_id + token(8)
            slots = []
            for title, moments in form.choices:
                self._slot_ids += 1
                slots.append(Slot(self._slot_ids, title, list(moments)))
            self.polls[poll_id] = Poll(poll_id, admin_id, form.title or "", form.admin_name or "", form.admin_mail,
                                       form.description, form.format or "A", end, slots, form.hidden)
            session.pop("form", None)
        return Response(status_code=302, headers={"Location": self.poll_url(admin_id, admin=True)})

    def poll_url(self, poll_or_admin_id: str, *, admin: bool = False) -> str:
        """``Utils::getUrlSondage``."""
        if self.url_propre:
            return f"{self.url}{poll_or_admin_id}/admin" if admin else f"{self.url}{poll_or_admin_id}"
        page = "adminstuds.php" if admin else "studs.php"
        return f"{self.url}{page}?{urlencode({'poll': poll_or_admin_id})}"

    # reading -------------------------------------------------------------------------------
    def _find(self, poll_id: str | None = None, admin_id: str | None = None) -> Poll | None:
        with self._lock:
            if poll_id is not None:
                return self.polls.get(poll_id) if POLL_REGEX.match(poll_id) else None
            if admin_id is not None and ADMIN_REGEX.match(admin_id):
                return next((p for p in self.polls.values() if p.admin_id == admin_id), None)
        return None

    async def _export(self, request: Request) -> Response:
        _session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        poll_id, admin_id = request.query_params.get("poll"), request.query_params.get("admin")
        poll = self._find(poll_id=poll_id) if poll_id else self._find(admin_id=admin_id) if admin_id else None
        if poll is None:
            return self._cookie(self._error(lang, "exists"), sid)
        if not admin_id and poll.hidden:
            return self._cookie(self._error(lang, "forbidden"), sid)
        lines: list[str] = []
        with self._lock:
            if poll.format == "D":
                titles, moments = ",", ","
                for slot in poll.slots:
                    times = slot.moments or [""]
                    titles += (csv_escape(short_date(date.fromisoformat(slot.title), lang)) + ",") * len(times)
                    moments += ",".join(csv_escape(m) for m in times) + ","
                lines += [titles, moments]
            else:
                lines.append("," + "".join(csv_escape(re.sub(r"[*_`\[\]]", "", s.title)) + "," for s in poll.slots))
            for name, choices in poll.votes:
                cells = []
                for code in choices:
                    word = {"0": "No", "1": "Ifneedbe", "2": "Yes"}.get(code, "Unknown")
                    cells.append(csv_escape(WORDS[lang][word]) + ",")
                lines.append(csv_escape(name) + "," + "".join(cells))
        content = "".join(line + "\r\n" for line in lines).encode()
        filename = re.sub(" {2,}", " ", poll.title) + ".csv"
        response = Response(content, headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "max-age=10",
        })
        return self._cookie(response, sid)

    async def _studs_clean(self, request: Request) -> Response:
        return await self._studs(request, request.path_params["poll_id"])

    async def _studs(self, request: Request, poll_id: str | None = None) -> Response:
        _session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        poll_id = poll_id or request.query_params.get("poll", "")
        poll = self._find(poll_id=poll_id)
        if poll is None:
            return self._cookie(self._error(lang, "exists"), sid)
        message = ""
        if request.method == "POST":
            data = await _form(request)
            if "save" in data:
                message = self._vote(poll, data)
        with self._lock:
            columns = poll.columns()
            control = poll.slots_hash()
        radios = "".join(
            "".join(f'<input type="radio" name="choices[{i}]" value="{v}"/>' for v in ("2", "1", "0"))
            for i in range(columns)
        )
        action = self.poll_url(poll.id)
        body = (f"{message}<h3>{html.escape(poll.title)}</h3>"
                f'<form name="form" method="POST" action="{action}"><input type="text" name="name" />{radios}'
                f'<input type="hidden" name="control" value="{control}"/>'
                '<button type="submit" name="save" class="btn btn-success">Save</button></form>')
        return self._cookie(self._page(lang, poll.title, body), sid)

    def _vote(self, poll: Poll, data: Form) -> str:
        name = str(data.get("name", "")).strip()
        with self._lock:
            columns = poll.columns()
            choices = [str(data.get(f"choices[{i}]", " ")) for i in range(columns)]
            if not name:
                return '<div class="alert alert-danger">The name is invalid.</div>'
            if any(c not in ("0", "1", "2", " ") for c in choices):
                return '<div class="alert alert-danger">There is a problem with your choices</div>'
            if any(n == name for n, _c in poll.votes):
                return '<div class="alert alert-danger">You already voted</div>'
            if data.get("control") != poll.slots_hash():
                return '<div class="alert alert-danger">Poll has been updated before you vote</div>'
            poll.votes.append((name, "".join(choices)))
        return '<div class="alert alert-success">Adding the vote succeeded</div>'

    async def _adminstuds_clean(self, request: Request) -> Response:
        return await self._adminstuds(request, request.path_params["admin_id"])

    async def _adminstuds(self, request: Request, admin_id: str | None = None) -> Response:
        _session, lang, fault, sid = await self._begin(request)
        if fault is not None:
            return fault
        poll = self._find(admin_id=admin_id or request.query_params.get("poll", ""))
        if poll is None:
            return self._cookie(self._error(lang, "exists"), sid)
        return self._cookie(self._page(lang, poll.title, f"<h3>{html.escape(poll.title)}</h3>"), sid)


class Voter:
    """A person answering a poll in a browser: the vote form read, then sent (other people)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def vote(self, poll_id: str, name: str, choices: list[int]) -> None:
        with httpx.Client(base_url=self.base_url, follow_redirects=True) as client:
            page = client.get("studs.php", params={"poll": poll_id})
            control = re.search(r'name="control" value="([0-9a-f]{32})"', page.text)
            assert control is not None, page.text
            form = {"name": name, "control": control[1], "save": ""}
            form.update({f"choices[{i}]": str(c) for i, c in enumerate(choices)})
            answer = client.post("studs.php", params={"poll": poll_id}, data=form)
            assert "Adding the vote succeeded" in answer.text, answer.text
