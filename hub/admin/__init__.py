"""The organisers' page, served by the daemon under ``/admin/``.

Server-rendered HTML (Jinja2, one small CSS file, no JavaScript) that works on a phone:

* **sign-in** with a one-time link the bot gives an admin (``/connexion``, :mod:`bots.signin`):
  the link opens a page whose button redeems it, so a chat's link preview cannot spend it; then
  a session cookie (:mod:`hub.admin.sessions`); every form carries a CSRF token; sign-out;
* **status** (``/admin/``): each connector's last success, breaker, next probe and outbox, with
  retry and "mark as sent" for failed and in-doubt messages;
* **held edits** (``/admin/held``): ``hub review``'s batches field by field, Accept / Reject with
  the same code as the command (:func:`hub.review.decide`, then a sync);
* **history** (``/admin/history``): changes per sync and per session, "revert this sync" as
  ``hub revert`` does (a sync of the daemon's that undoes the numbered run);
* **programme** (``/admin/programme``): day by day, with links to the exports under ``/public/``.

French or English from ``[hub] language``, switched by a link (a cookie). Every action is
logged with who did it. The rendered page is passed through the secrets' redactor, so no
configured secret can show on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bots.live import live_programme
from bots.signin import SignInLinks, admin_url
from config.redaction import Redactor, encodings
from config.secrets import secret_values
from hub.admin.sessions import Session, Sessions
from hub.admin.texts import LOG_TEXTS, TEXTS
from hub.review import decide, event_zone
from sync.errors import HubError
from sync.i18n import say_date, say_moment, say_time
from sync.review import HeldSummary, field_label, shown
from sync.state import StateStore

if TYPE_CHECKING:
    from hub.served import Daemon

__all__ = ["LOG_TEXTS", "build_admin"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
LANG_COOKIE = "hub_lang"
OUTBOX_STATES = ("pending", "sending", "failed", "in_doubt")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}

Handler = Callable[[Request, Session], Awaitable[Response]]


def build_admin(daemon: Daemon) -> Starlette:
    """The ``/admin`` application over a running daemon (:class:`hub.served.Daemon`)."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["j2", "html"]),
                      trim_blocks=True, lstrip_blocks=True)
    flashes: dict[str, str] = {}  # a session's message after an action, shown once

    def store() -> StateStore:
        found: StateStore = daemon.store
        return found

    def sessions() -> Sessions:
        return Sessions(store())

    def links() -> SignInLinks:
        settings = daemon.settings
        return SignInLinks(store(), admin_url(settings.daemon.listen, settings.daemon.admin_url))

    def redactor() -> Redactor:
        found = set(secret_values(daemon.settings))
        if daemon.token:
            found |= encodings(daemon.token)
        return Redactor(found)

    def language(request: Request) -> str:
        chosen = request.cookies.get(LANG_COOKIE, "")
        return chosen if chosen in ("fr", "en") else daemon.settings.hub.language

    def page(request: Request, template: str, session: Session | None, status: int = 200,
             **values: Any) -> Response:
        lang = language(request)
        flash = flashes.pop(session.id, None) if session is not None else None

        def t(key: str, **fill: Any) -> str:
            return TEXTS.say(key, lang, **fill)

        html = env.get_template(template).render(
            t=t, lang=lang, other="en" if lang == "fr" else "fr", session=session, flash=flash,
            here=request.url.path, **values)
        return HTMLResponse(redactor()(html), status_code=status, headers=HEADERS)

    def refusal(request: Request, key: str, status: int, session: Session | None = None) -> Response:
        return page(request, "message.html.j2", session, status, message=key,
                    ask=key in ("login.refused", "login.needed"))

    def signed_in(handler: Handler, *, form: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session = sessions().find(request)
            if session is None:
                return refusal(request, "login.needed", 401)
            if form:
                data = await request.form()
                given = data.get("csrf")
                if not isinstance(given, str) or not session.form_ok(given):
                    log.warning("admin page: form refused, wrong or missing CSRF token (%s %s)", request.method,
                                request.url.path)
                    return refusal(request, "csrf.refused", 403, session)
            return await handler(request, session)

        return endpoint

    def back(to: str, session: Session, message: str | None = None) -> Response:
        if message is not None:
            flashes[session.id] = message
        return RedirectResponse(to, status_code=303, headers=HEADERS)

    def say(request: Request, key: str, **values: Any) -> str:
        return TEXTS.say(key, language(request), **values)

    # --- sign-in ------------------------------------------------------------------------------
    async def login_form(request: Request) -> Response:
        return page(request, "login.html.j2", None, token=request.query_params.get("token", ""))

    async def login(request: Request) -> Response:
        data = await request.form()
        token = data.get("token")
        who = links().redeem(token) if isinstance(token, str) else None
        if who is None:
            log.warning("admin page: sign-in refused (%s)", "used, expired or unknown link")
            return refusal(request, "login.refused", 403)
        session = sessions().open(who)
        log.info("admin page: %s signed in", who)
        response = RedirectResponse("/admin/", status_code=303, headers=HEADERS)
        sessions().set_cookie(response, session, request)
        return response

    async def logout(request: Request, session: Session) -> Response:
        sessions().close(session)
        log.info("admin page: %s signed out", session.who)
        response = refusal(request, "signed.out", 200)
        Sessions.clear_cookie(response, request)
        return response

    async def switch(request: Request) -> Response:
        lang = request.path_params["lang"]
        target = request.query_params.get("next", "/admin/")
        if not target.startswith("/admin/") or "//" in target or "\\" in target:
            target = "/admin/"
        response = RedirectResponse(target, status_code=303, headers=HEADERS)
        if lang in ("fr", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/admin", samesite="strict",
                                httponly=True)
        return response

    # --- status -------------------------------------------------------------------------------
    async def status(request: Request, session: Session) -> Response:
        lang = language(request)
        db = store()
        zone = event_zone(db)
        ready, body = daemon.readiness()
        breakers = db.open_breakers()
        counts = db.outbox_counts()
        probes = daemon.next_probes()

        def when(stamp: float | None) -> str:
            if stamp is None:
                return TEXTS.say("never", lang)
            return say_moment(datetime.fromtimestamp(stamp).astimezone(zone), lang)

        connectors = []
        for section in daemon.settings.connectors:
            name = section.name
            states = counts.get(name, {})
            connectors.append({
                "name": name, "type": section.config.type,
                "success": when(daemon.last_success.get(name)),
                "breaker": (TEXTS.say("breaker.open", lang, reason=breakers[name]) if name in breakers
                            else TEXTS.say("breaker.closed", lang)),
                "open": name in breakers,
                "probe": say_time(datetime.fromtimestamp(probes[name]).astimezone(zone), lang)
                if name in probes else "—",
                "pending": states.get("pending", 0) + states.get("sending", 0),
                "failed": states.get("failed", 0), "in_doubt": states.get("in_doubt", 0),
            })
        last = body.get("last_sync")
        last_line = None
        if last:
            at = say_moment(datetime.fromisoformat(last["at"]).astimezone(zone), lang)
            last_line = TEXTS.say("status.last", lang, at=at, result=TEXTS.say(f"result.{last['result']}", lang))
        entries = [{"id": e.id, "connector": e.connector, "target": e.target, "op": e.op, "key": e.key,
                    "state": e.state, "error": e.error or "",
                    "retry": e.state == "failed" or (e.state == "in_doubt" and e.payload is not None),
                    "sent": e.state == "in_doubt"}
                   for e in db.outbox_entries(states=OUTBOX_STATES)][-100:]
        return page(request, "status.html.j2", session, connectors=connectors, last=last_line,
                    syncing=bool(body.get("syncing")), entries=entries, ready=ready)

    async def retry(request: Request, session: Session) -> Response:
        number = int(request.path_params["entry"])
        db = store()
        entry = next((e for e in db.outbox_entries(states=("failed", "in_doubt")) if e.id == number), None)
        if entry is None or (entry.state == "in_doubt" and entry.payload is None):
            return back("/admin/", session, say(request, "unknown.entry", entry=number))
        with db.transaction() as conn:
            db.mark(conn, [entry.id], "pending", next_at=0.0)
        log.info("admin page: %s queued outbox entry %d again", session.who, entry.id)
        daemon.request_sync("retry")
        return back("/admin/", session, say(request, "done.retry", entry=number))

    async def mark_sent(request: Request, session: Session) -> Response:
        number = int(request.path_params["entry"])
        db = store()
        entry = next((e for e in db.outbox_entries(states=("in_doubt",)) if e.id == number), None)
        if entry is None:
            return back("/admin/", session, say(request, "unknown.entry", entry=number))
        with db.transaction() as conn:
            db.mark(conn, [entry.id], "done")
        log.info("admin page: %s marked outbox entry %d as sent", session.who, entry.id)
        return back("/admin/", session, say(request, "done.sent", entry=number))

    # --- held edits ---------------------------------------------------------------------------
    async def held(request: Request, session: Session) -> Response:
        lang = language(request)
        db = store()
        zone = event_zone(db)
        venues = _names(daemon.settings, db)[1]
        batches = []
        for batch in db.held_batches():
            summary = HeldSummary.from_json(batch.summary)
            batches.append({
                "id": batch.id, "state": batch.state, "reason": batch.reason,
                "head": TEXTS.say("held.batch", lang, batch=batch.id, connector=batch.connector,
                                  at=say_moment(batch.created_at.astimezone(zone), lang)),
                "changes": [{"session": c.get("title") or c["session"], "field": field_label(c["field"], lang),
                             "before": _value(c["field"], c.get("ours"), lang, zone, venues),
                             "after": _value(c["field"], c.get("theirs"), lang, zone, venues)}
                            for c in summary.changes],
                "added": [a.get("title") or a["id"] for a in summary.added],
                "removed": [r.get("title") or r["id"] for r in summary.removed],
            })
        return page(request, "held.html.j2", session, batches=batches)

    async def review(request: Request, session: Session) -> Response:
        number = int(request.path_params["batch"])
        verdict = request.path_params["verdict"]
        db = store()
        waiting = next((b for b in db.held_batches(("open",)) if b.id == number), None)
        if waiting is None or verdict not in ("accept", "reject"):
            return back("/admin/held", session, say(request, "unknown.batch", batch=number))
        state = "accepted" if verdict == "accept" else "rejected"
        decide(db, number, state, daemon.settings.hub.language)
        if state == "accepted":
            log.info("admin page: %s accepted batch %d", session.who, number)
        else:
            log.info("admin page: %s rejected batch %d", session.who, number)
        try:
            report = await daemon.sync_now("review")
        except (RuntimeError, HubError) as exc:
            log.warning("admin page: the sync after %s's action failed: %s", session.who, exc)
            return back("/admin/held", session, say(request, "done.failed"))
        key = "done.accepted" if state == "accepted" else "done.rejected"
        return back("/admin/held", session, say(request, key, batch=number, changes=len(report.changes)))

    # --- history ------------------------------------------------------------------------------
    async def history(request: Request, session: Session) -> Response:
        lang = language(request)
        db = store()
        zone = event_zone(db)
        only = request.query_params.get("session") or None
        titles, venues = _names(daemon.settings, db)
        rows = db.history(session=only, limit=500)
        groups: dict[int | None, dict[str, Any]] = {}
        for row in reversed(rows):  # newest first
            group = groups.get(row.sync)
            if group is None:
                run = db.sync_run(row.sync) if row.sync is not None else None
                kind = run[0] if run else "sync"
                at = run[1] if run else row.at
                head = (TEXTS.say("history.sync", lang, sync=row.sync, at=say_moment(at.astimezone(zone), lang))
                        if row.sync is not None else TEXTS.say("history.unnumbered", lang))
                kind_key = f"history.kind.{kind}"
                group = groups[row.sync] = {
                    "sync": row.sync, "head": head,
                    "kind": TEXTS.say(kind_key, lang) if kind_key in TEXTS else kind, "rows": [],
                }
            if row.field == "existence":
                field = TEXTS.say("history.added" if row.new == "added" else "history.removed", lang)
                before = after = ""
            else:
                field = field_label(row.field, lang)
                before = _value(row.field, row.old, lang, zone, venues)
                after = _value(row.field, row.new, lang, zone, venues)
            group["rows"].append({"session": row.session, "title": titles.get(row.session, row.session),
                                  "field": field, "before": before, "after": after, "origin": row.origin,
                                  "at": say_time(row.at.astimezone(zone), lang)})
        return page(request, "history.html.j2", session, groups=list(groups.values()), only=only,
                    only_title=titles.get(only, only) if only else None)

    async def revert(request: Request, session: Session) -> Response:
        number = int(request.path_params["sync"])
        if not store().sync_changes(number):
            return back("/admin/history", session, say(request, "unknown.sync", sync=number))
        log.info("admin page: %s reverted sync %d", session.who, number)
        try:
            report = await daemon.sync_now("revert", revert=number)
        except (RuntimeError, HubError) as exc:
            log.warning("admin page: the sync after %s's action failed: %s", session.who, exc)
            return back("/admin/history", session, say(request, "done.failed"))
        return back("/admin/history", session, say(request, "done.reverted", sync=number,
                                                    changes=len(report.changes)))

    # --- programme ----------------------------------------------------------------------------
    async def programme(request: Request, session: Session) -> Response:
        lang = language(request)
        days: list[dict[str, Any]] = []
        title = ""
        try:
            current = live_programme(daemon.settings, store())
        except HubError:
            current = None
        if current is not None:
            title = current.event.title
            themes = {d.date: d.theme for d in current.days}
            by_day: dict[date, list[dict[str, Any]]] = {}
            for s in current.sorted_sessions():
                start, end = s.start.astimezone(current.tz), s.end.astimezone(current.tz)
                venue = current.venue_of(s)
                by_day.setdefault(start.date(), []).append({
                    "id": s.id, "title": s.title, "when": f"{say_time(start, lang)} – {say_time(end, lang)}",
                    "venue": venue.name if venue else "", "hosts": ", ".join(s.hosts),
                    "status": TEXTS.say(f"status.{s.status}", lang) if f"status.{s.status}" in TEXTS else "",
                })
            days = [{"name": say_date(day, lang), "theme": themes.get(day, ""), "sessions": sessions_}
                    for day, sessions_ in sorted(by_day.items())]
        public = daemon.public_dir()
        exports = sorted(p.name for p in public.iterdir() if p.is_file()) if public and public.is_dir() else []
        return page(request, "programme.html.j2", session, days=days, event=title, exports=exports)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return refusal(request, "not.found", 404, sessions().find(request))

    routes: list[Any] = [
        Route("/", signed_in(status)),
        Route("/held", signed_in(held)),
        Route("/history", signed_in(history)),
        Route("/programme", signed_in(programme)),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", signed_in(logout, form=True), methods=["POST"]),
        Route("/lang/{lang}", switch),
        Route("/outbox/{entry:int}/retry", signed_in(retry, form=True), methods=["POST"]),
        Route("/outbox/{entry:int}/sent", signed_in(mark_sent, form=True), methods=["POST"]),
        Route("/held/{batch:int}/{verdict}", signed_in(review, form=True), methods=["POST"]),
        Route("/history/{sync:int}/revert", signed_in(revert, form=True), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static")),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


def _value(field: str, value: Any, lang: str, zone: tzinfo, venues: dict[str, str]) -> str:
    """A field's value for a person: times in words in the event's zone, a status in words, a
    venue by its name."""
    if field == "status" and isinstance(value, str) and f"status.{value}" in TEXTS:
        return TEXTS.say(f"status.{value}", lang)
    if field == "venue" and isinstance(value, str) and value in venues:
        return venues[value]
    return shown(value, lang, zone, 200)


def _names(settings: Any, store: StateStore) -> tuple[dict[str, str], dict[str, str]]:
    """Each session's title and each venue's name, to name what the store knows by its id."""
    try:
        current = live_programme(settings, store)
    except HubError:
        return {}, {}
    return ({key: s.title for key, s in current.sessions.items()},
            {key: v.name for key, v in current.venues.items()})
