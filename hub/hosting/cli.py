"""``hub collective ...`` and ``hub worker``: the command line of a hosting deployment.

Only click and the help texts are imported here (``hub --help`` stays fast, and single-collective
commands never load procrastinate); each command imports what it runs.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.help import HELP as COMMAND_LINE_HELP
from hub.help import LANGUAGE, HubCommand, HubGroup
from sync.i18n import Catalogue

HELP = Catalogue({
    "collective": {"fr": "Gérer les collectifs d'un hébergement (une base PostgreSQL, des travailleurs).",
                   "en": "Manage the collectives of a hosting deployment (one PostgreSQL, workers)."},
    "opt.database": {"fr": "Base PostgreSQL de l'hébergement (par défaut $HUB_HOSTING_DATABASE).",
                     "en": "The hosting PostgreSQL database (default $HUB_HOSTING_DATABASE)."},
    "add": {"fr": "Ajouter un collectif : son identifiant et son fichier de configuration (vérifié).",
            "en": "Add a collective: its id and its configuration file (checked)."},
    "add.config": {"fr": "Fichier de configuration du collectif (hub.toml, ses secrets à côté).",
                   "en": "The collective's configuration file (hub.toml, its secrets beside it)."},
    "list": {"fr": "Lister les collectifs, leur dernier passage et leur pause.",
             "en": "List the collectives, their last sync and whether they are paused."},
    "remove": {"fr": "Retirer un collectif (son état reste, sauf avec --drop-state).",
               "en": "Remove a collective (its state stays, unless --drop-state)."},
    "remove.drop": {"fr": "Effacer aussi son état (son schéma dans la base).",
                    "en": "Drop its state too (its schema in the database)."},
    "check": {"fr": "Relire la configuration de chaque collectif (ou d'un seul) ; 2 si l'une est refusée.",
              "en": "Read each collective's configuration again (or one's); 2 when one is refused."},
    "pause": {"fr": "Mettre un collectif en pause : plus aucune tâche pour lui.",
              "en": "Pause a collective: no job runs for it any more."},
    "resume": {"fr": "Reprendre un collectif en pause (une synchronisation suit).",
               "en": "Resume a paused collective (a sync follows)."},
    "sync": {"fr": "Demander une synchronisation d'un collectif (mise en file).",
             "en": "Ask for a sync of a collective (queued)."},
    "worker": {"fr": "Exécuter les tâches des collectifs (autant de travailleurs que voulu, sur toute machine).",
               "en": "Run the collectives' jobs (as many workers as wanted, on any machine)."},
    "worker.concurrency": {"fr": "Tâches menées à la fois par ce processus.",
                           "en": "Jobs this process runs at once."},
    "worker.stalled": {"fr": "Secondes sans signe de vie après lesquelles un travailleur est tenu pour mort "
                             "et ses tâches remises en file.",
                       "en": "Seconds without a heartbeat after which a worker is taken for dead and its "
                             "jobs are queued again."},
    "daemon.hosting": {"fr": "Mode hébergement : servir les collectifs de la base d'hébergement (webhooks, "
                             "/metrics, /readyz) et mettre leurs tâches en file ; --config est alors ignoré.",
                       "en": "Hosting mode: serve the hosting database's collectives (webhooks, /metrics, "
                             "/readyz) and queue their jobs; --config is then ignored."},
    "worker.bots": {"fr": "Places de ce processus réservées aux réponses des bots (file « bots ») : jamais "
                          "prises par une synchronisation ; 0 pour n'y répondre pas.",
                    "en": "Slots of this process kept for the bots' answers (queue 'bots'): never taken by a "
                          "sync; 0 to answer none."},
    "webhooks": {"fr": "Faire envoyer les messages des discussions d'un collectif à ce démon d'hébergement "
                       "(setWebhook de Telegram avec le secret de la section ; l'adresse du bot Talk).",
                 "en": "Have a collective's chats send their messages to this hosting daemon (Telegram's "
                       "setWebhook with the section's secret; the Talk bot's address)."},
    "webhooks.base": {"fr": "Adresse publique du démon d'hébergement (https://hub.example.org).",
                      "en": "Public address of the hosting daemon (https://hub.example.org)."},
    "worker.once": {"fr": "S'arrêter quand la file est vide.", "en": "Stop when the queue is empty."},
    "limits": {"fr": "Voir ou régler les limites de débit vers un serveur partagé (HOST : son nom, avec son port "
                     "s'il n'est pas l'habituel ; * pour tout autre), tenues par tous les travailleurs.",
               "en": "Show or set the rate limits toward a shared server (HOST: its name, with its port when not "
                     "the usual one; * for any other), held by every worker."},
    "limits.rate": {"fr": "Requêtes par seconde vers ce serveur, tous collectifs ensemble (0 : sans limite).",
                    "en": "Requests a second to this server, all collectives together (0: no limit)."},
    "limits.burst": {"fr": "Requêtes permises d'un coup après un moment calme, tous collectifs ensemble.",
                     "en": "Requests allowed at once after a quiet spell, all collectives together."},
    "limits.share": {"fr": "Requêtes par seconde vers ce serveur pour chaque collectif (0 : sans limite).",
                     "en": "Requests a second to this server for each collective (0: no limit)."},
    "limits.share_burst": {"fr": "Requêtes permises d'un coup à chaque collectif.",
                           "en": "Requests allowed at once for each collective."},
    "limits.reset": {"fr": "Revenir aux limites par défaut pour ce serveur.",
                     "en": "Go back to the default limits for this server."},
    "opt.collective": {"fr": "Agir sur ce collectif hébergé : sa configuration selon le registre, son état dans "
                             "son schéma de la base d'hébergement (--database), sous son verrou d'écriture, "
                             "celui des travailleurs.",
                       "en": "Act on this hosted collective: its configuration as the registry names it, its "
                             "state in its schema of the hosting database (--database), under its writer "
                             "lock, the workers' one."},
    "config.and.collective": {"fr": "--config et --collective s'excluent : la configuration d'un collectif "
                                    "hébergé est celle du registre",
                              "en": "--config and --collective exclude each other: a hosted collective's "
                                    "configuration is the registry's"},
    # what the commands print
    "added": {"fr": "collectif « {id} » ajouté (état dans le schéma {schema})",
              "en": "collective {id!r} added (state in schema {schema})"},
    "removed": {"fr": "collectif « {id} » retiré", "en": "collective {id!r} removed"},
    "paused": {"fr": "collectif « {id} » en pause", "en": "collective {id!r} paused"},
    "resumed": {"fr": "collectif « {id} » repris", "en": "collective {id!r} resumed"},
    "queued": {"fr": "synchronisation de « {id} » mise en file", "en": "sync of {id!r} queued"},
    "already": {"fr": "une synchronisation de « {id} » est déjà en file", "en": "a sync of {id!r} is already queued"},
    "ok": {"fr": "{id} : configuration valide", "en": "{id}: configuration valid"},
    "refused": {"fr": "{id} : configuration refusée : {error}", "en": "{id}: configuration refused: {error}"},
    "none": {"fr": "aucun collectif", "en": "no collective"},
    "row": {"fr": "{id}{paused} : {result} ({syncs} synchronisation(s), {probes} sondage(s)) {config}",
            "en": "{id}{paused}: {result} ({syncs} sync(s), {probes} probe(s)) {config}"},
    "paused.mark": {"fr": " [en pause]", "en": " [paused]"},
    "never": {"fr": "jamais synchronisé", "en": "never synced"},
})

# The command line's help texts all live in one catalogue (its tests walk every command): these
# join it under a prefix, the way modules' log texts join config.words.LOGGED.
COMMAND_LINE_HELP.update({f"hosting.{key}": texts for key, texts in HELP.items()})


def _h(key: str) -> str:
    return COMMAND_LINE_HELP.say(f"hosting.{key}", LANGUAGE)


def _say(key: str, **values: object) -> str:
    return HELP.say(key, LANGUAGE, **values)


database_option = click.option("--database", "database", envvar="HUB_HOSTING_DATABASE", default=None,
                               metavar="URL", help=_h("opt.database"))

hosting_option = click.option("--hosting", is_flag=True, help=_h("daemon.hosting"))

Command = TypeVar("Command", bound=Callable[..., Any])


def for_collective(func: Command) -> Command:
    """``--collective ID`` and ``--database URL`` on a command that reads a configuration
    (``hub status``, ``history``, ``export``...): with them, the command runs on that hosted
    collective (:func:`hub.hosting.registry.hosted_settings`) instead of a configuration file.
    Put it right under ``@command``, above the command's own options."""
    return _hosted(func, follow_up=lambda options: False)


def for_collective_writing(*when: str) -> Callable[[Command], Command]:
    """:func:`for_collective` for a command that may change the collective's state (``hub sync``,
    ``revert``; ``review`` and ``conflicts`` when given one of the options named in ``when``):
    afterwards a sync of the collective is due at once, so a worker carries on what the command
    left (a decision to push, an outbox retry, an announcement after the quiet period), as it
    does after its own syncs."""
    def decorate(func: Command) -> Command:
        return _hosted(func, follow_up=lambda options: not when or any(options.get(k) is not None for k in when))

    return decorate


def _hosted(func: Command, *, follow_up: Callable[[dict[str, Any]], bool]) -> Command:
    @functools.wraps(func)
    def run(*args: Any, collective_id: str | None, database: str | None, **kwargs: Any) -> Any:
        if collective_id is None:
            return func(*args, **kwargs)
        if kwargs.get("config_path") is not None:
            raise click.UsageError(_say("config.and.collective"))
        from hub.runtime import HOSTED

        token = HOSTED.set((collective_id, database, LANGUAGE))
        writing = follow_up(kwargs)
        try:
            with _paced(collective_id, database) if writing else contextlib.nullcontext():
                return func(*args, **kwargs)
        finally:
            HOSTED.reset(token)
            if writing:
                _sync_due(collective_id, database)

    run = database_option(run)
    run = click.option("--collective", "collective_id", metavar="ID", default=None, help=_h("opt.collective"))(run)
    return run  # type: ignore[return-value]


@contextlib.contextmanager
def _paced(collective_id: str, database: str | None) -> Iterator[None]:
    """The deployment's rate limits on the requests of a command run by hand for a hosted
    collective, as on its workers' jobs (none when the hosting database is not there: the
    command says so itself)."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.hosting.limits import Limiter
    from hub.hosting.registry import Registry
    from sync.errors import HubError

    try:
        Registry(database or "", lang=LANGUAGE, create=False).close()
        limiter = Limiter(database or "", lang=LANGUAGE)
    except (HubError, SQLAlchemyError):
        yield
        return
    try:
        with limiter.installed(collective_id):
            yield
    finally:
        limiter.close()


def _sync_due(collective_id: str, database: str | None) -> None:
    """Make the collective's sync due now (the workers' tick queues it), unless it is paused."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from hub.hosting.registry import Registry
    from sync.errors import HubError

    try:
        registry = Registry(database or "", lang=LANGUAGE, create=False)
    except HubError:
        return  # the command said why already
    try:
        row = registry.find(collective_id)
        now = time.time()
        if row is not None and not row.paused and (row.next_sync_at is None or row.next_sync_at > now):
            registry.update(collective_id, next_sync_at=now)
    except SQLAlchemyError:
        pass  # the command's own outcome stands; the next probe finds what is left
    finally:
        registry.close()


def _run(action: str, database: str | None, *args: object) -> int:
    """Run one registry action; 2 with the reason on a refusal."""
    from hub.console import fail
    from hub.hosting.registry import Registry
    from sync.errors import HubError

    try:
        registry = Registry(database or "", lang=LANGUAGE)
    except HubError as exc:
        return fail(exc, LANGUAGE, False)
    try:
        actions: dict[str, Callable[..., int]] = {
            "add": _add, "list": _list, "remove": _remove, "check": _check, "pause": _pause,
            "resume": _resume, "sync": _sync}
        return actions[action](registry, *args)
    except HubError as exc:
        return fail(exc, LANGUAGE, False)
    finally:
        registry.close()


def _add(registry: object, collective_id: str, config: str) -> int:
    from hub.hosting.registry import Registry, check_id
    from hub.runtime import load_settings

    assert isinstance(registry, Registry)
    check_id(collective_id, LANGUAGE)
    load_settings(config)  # a configuration that would be refused is not added
    row = registry.add(collective_id, Path(config))
    click.echo(_say("added", id=row.id, schema=row.schema))
    return 0


def _list(registry: object, as_json: bool) -> int:
    from hub.hosting.jobs import describe
    from hub.hosting.registry import Registry

    assert isinstance(registry, Registry)
    rows = registry.all()
    if as_json:
        click.echo(json.dumps({"collectives": [describe(r) for r in rows]}, ensure_ascii=False))
        return 0
    if not rows:
        click.echo(_say("none"))
    for r in rows:
        click.echo(_say("row", id=r.id, paused=_say("paused.mark") if r.paused else "",
                        result=r.last_result or _say("never"), syncs=r.syncs, probes=r.probes, config=r.config))
    return 0


def _remove(registry: object, collective_id: str, drop_state: bool) -> int:
    from hub.hosting.registry import Registry

    assert isinstance(registry, Registry)
    registry.remove(collective_id, drop_state=drop_state)
    click.echo(_say("removed", id=collective_id))
    return 0


def _check(registry: object, collective_id: str | None) -> int:
    from hub.hosting.registry import Registry
    from hub.runtime import load_settings
    from sync.errors import HubError

    assert isinstance(registry, Registry)
    rows = [registry.get(collective_id)] if collective_id else registry.all()
    code = 0
    for row in rows:
        try:
            load_settings(row.config)
            click.echo(_say("ok", id=row.id))
        except HubError as exc:
            click.echo(_say("refused", id=row.id, error=exc), err=True)
            code = 2
    return code


def _pause(registry: object, collective_id: str) -> int:
    from hub.hosting.registry import Registry

    assert isinstance(registry, Registry)
    registry.set_paused(collective_id, True)
    click.echo(_say("paused", id=collective_id))
    return 0


def _resume(registry: object, collective_id: str) -> int:
    from hub.hosting.registry import Registry

    assert isinstance(registry, Registry)
    registry.set_paused(collective_id, False)
    click.echo(_say("resumed", id=collective_id))
    return 0


def _sync(registry: object, collective_id: str) -> int:
    import asyncio  # here, not above: `hub --help` does not load the event loop

    from hub.hosting.queue import defer_sync, make_app, prepare
    from hub.hosting.registry import Registry

    assert isinstance(registry, Registry)
    registry.get(collective_id)
    prepare(registry.url)

    async def go() -> bool:
        app = make_app(registry.url, pool_size=1)
        async with app.open_async():
            return await defer_sync(app, collective_id, "asked")

    click.echo(_say("queued" if asyncio.run(go()) else "already", id=collective_id))
    return 0


@click.group("collective", cls=HubGroup, help=_h("collective"))
def collective() -> None:
    pass


@collective.command("add", cls=HubCommand, help=_h("add"))
@click.argument("collective_id", metavar="ID")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False, exists=True), help=_h("add.config"))
@database_option
def add_command(collective_id: str, config: str, database: str | None) -> None:
    sys.exit(_run("add", database, collective_id, config))


@collective.command("list", cls=HubCommand, help=_h("list"))
@click.option("--json", "as_json", is_flag=True, help=COMMAND_LINE_HELP.say("opt.json", LANGUAGE))
@database_option
def list_command(as_json: bool, database: str | None) -> None:
    sys.exit(_run("list", database, as_json))


@collective.command("remove", cls=HubCommand, help=_h("remove"))
@click.argument("collective_id", metavar="ID")
@click.option("--drop-state", is_flag=True, help=_h("remove.drop"))
@database_option
def remove_command(collective_id: str, drop_state: bool, database: str | None) -> None:
    sys.exit(_run("remove", database, collective_id, drop_state))


@collective.command("check", cls=HubCommand, help=_h("check"))
@click.argument("collective_id", metavar="ID", required=False)
@database_option
def check_command(collective_id: str | None, database: str | None) -> None:
    sys.exit(_run("check", database, collective_id))


@collective.command("pause", cls=HubCommand, help=_h("pause"))
@click.argument("collective_id", metavar="ID")
@database_option
def pause_command(collective_id: str, database: str | None) -> None:
    sys.exit(_run("pause", database, collective_id))


@collective.command("resume", cls=HubCommand, help=_h("resume"))
@click.argument("collective_id", metavar="ID")
@database_option
def resume_command(collective_id: str, database: str | None) -> None:
    sys.exit(_run("resume", database, collective_id))


@collective.command("sync", cls=HubCommand, help=_h("sync"))
@click.argument("collective_id", metavar="ID")
@database_option
def sync_command(collective_id: str, database: str | None) -> None:
    sys.exit(_run("sync", database, collective_id))


@collective.command("webhooks", cls=HubCommand, help=_h("webhooks"))
@click.argument("collective_id", metavar="ID")
@click.option("--base-url", "base_url", required=True, metavar="URL", help=_h("webhooks.base"))
@database_option
def webhooks_command(collective_id: str, base_url: str, database: str | None) -> None:
    import asyncio

    from hub.console import fail
    from hub.hosting.bots import set_webhooks
    from hub.hosting.registry import postgresql_url
    from sync.errors import HubError

    try:
        sys.exit(asyncio.run(set_webhooks(postgresql_url(database, LANGUAGE), collective_id, base_url, LANGUAGE)))
    except HubError as exc:
        sys.exit(fail(exc, LANGUAGE, False))


@collective.command("limits", cls=HubCommand, help=_h("limits"))
@click.argument("host", metavar="HOST", required=False)
@click.option("--rate", type=click.FloatRange(0), default=None, help=_h("limits.rate"))
@click.option("--burst", type=click.FloatRange(1), default=None, help=_h("limits.burst"))
@click.option("--share", type=click.FloatRange(0), default=None, help=_h("limits.share"))
@click.option("--share-burst", "share_burst", type=click.FloatRange(1), default=None, help=_h("limits.share_burst"))
@click.option("--reset", is_flag=True, help=_h("limits.reset"))
@click.option("--json", "as_json", is_flag=True, help=COMMAND_LINE_HELP.say("opt.json", LANGUAGE))
@database_option
def limits_command(host: str | None, rate: float | None, burst: float | None, share: float | None,
                   share_burst: float | None, reset: bool, as_json: bool, database: str | None) -> None:
    from hub.console import fail
    from hub.hosting.limits import limits_command as run
    from hub.hosting.registry import Registry
    from sync.errors import HubError

    changes = {k: v for k, v in {"rate": rate, "burst": burst, "share": share, "share_burst": share_burst}.items()
               if v is not None}
    try:
        registry = Registry(database or "", lang=LANGUAGE)
        try:
            sys.exit(run(registry.engine, host, changes, reset=reset, as_json=as_json, lang=LANGUAGE))
        finally:
            registry.close()
    except HubError as exc:
        sys.exit(fail(exc, LANGUAGE, as_json))


@click.command("worker", cls=HubCommand, help=_h("worker"))
@database_option
@click.option("--concurrency", default=1, type=click.IntRange(1, 64), help=_h("worker.concurrency"))
@click.option("--stalled-after", "stalled_after", default=30.0, type=click.FloatRange(1.0), help=_h("worker.stalled"))
@click.option("--once", is_flag=True, help=_h("worker.once"))
@click.option("--bots", "bot_slots", default=1, type=click.IntRange(0, 64), help=_h("worker.bots"))
def worker(database: str | None, concurrency: int, stalled_after: float, once: bool, bot_slots: int) -> None:
    from hub.hosting.queue import worker_command

    sys.exit(worker_command(database, concurrency, stalled_after, wait=not once, bot_slots=bot_slots))
