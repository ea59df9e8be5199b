"""``hub sync`` with nothing to do, and ``hub status``, answered before the settings' models are loaded.

The quick check (:mod:`sync.quick`) and the status (:mod:`hub.status`) read little of the
settings, but validating them (pydantic, each connector section's settings class) costs more
than the rest of either command. So each command that validates the settings (``hub sync``,
``hub status``) keeps what those two read of them in a small file of the user's cache folder:
the check's inputs (:class:`sync.quick.QuickInputs`), the status' facts
(:class:`hub.status.StatusFacts`) and where the secrets the redactor masks come from, under the
digest of everything validated settings are made of:

- the configuration file's absolute path and its bytes;
- the environment variables the settings read (``HUB_<SECTION>__<KEY>``) and ``HOME`` (``~`` in
  a path); of those holding a secret, only whether they are set;
- the hub's own code (:func:`sync.inputs.running_code_digest`), Python's version and the folders
  of the installed libraries (an upgrade of pydantic may validate otherwise).

A later ``hub sync`` whose inputs have that same digest runs the check on the kept inputs; when
the check says "nothing to do" it answers without pydantic, SQLAlchemy or any client library.
When it says there is work, the full sync runs without asking again (the same inputs would get
the same answer, and a probe's request is not sent twice). A later ``hub status`` prints the
same lines as after validating, through a redactor built from the kept sources (each secret
file read again, so a rotated secret is masked too). Anything missing, unreadable or
different: the settings are validated and the command runs as before, so a stale or damaged
file only costs that.

No secret is kept, even hashed: the file names where a secret comes from (a file's path, an
environment variable's name), never its value; and settings that carry a secret written in the
configuration file itself are not kept at all (the digest of the file's bytes would be a digest
of the secret), nor are a state database's URL on a server (it may carry a password). The file
is the user's own (mode 0600), in ``$XDG_CACHE_HOME/commons-hub`` (default
``~/.cache/commons-hub``); deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.paths import config_file
from config.redaction import Redactor, secret_forms
from config.secret_file import SecretTooShort, read_secret
from hub.hosted import HOSTED
from sync.inputs import running_code_digest
from sync.quick import QuickInputs, check, load_probe, record
from sync.state_reader import sqlite_file

if TYPE_CHECKING:
    from hub.arguments import AskArguments
    from hub.status import StatusFacts

#: The kept file's format: another one is not read.
FORMAT = 2
#: Variables outside ``HUB_<SECTION>__<KEY>`` that validated settings depend on.
OTHER_VARIABLES = ("HOME",)


class Verdict(enum.Enum):
    """What the quick start found."""

    #: Nothing to do: said, and recorded as the last sync's report.
    NOTHING = "nothing"
    #: The kept inputs hold and the check found work: run the full sync, without checking again.
    WORK = "work"
    #: No kept inputs for these settings: validate them, check, keep them (:func:`remember`).
    UNKNOWN = "unknown"


def cache_folder(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CACHE_HOME/commons-hub``, else ``~/.cache/commons-hub``; None without either."""
    base = environ.get("XDG_CACHE_HOME") or (str(Path(environ["HOME"]) / ".cache") if environ.get("HOME") else "")
    return Path(base) / "commons-hub" if base else None


def kept_file(config: Path, environ: Mapping[str, str]) -> Path | None:
    """Where the inputs of the configuration file ``config`` (absolute) are kept."""
    folder = cache_folder(environ)
    name = hashlib.sha256(str(config).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return None if folder is None else folder / f"quick-{name}.json"


def inputs_key(config: Path, data: bytes, environ: Mapping[str, str], secret_variables: Sequence[str]) -> str:
    """The digest of what validated settings are made of (see the module's text)."""
    hidden = set(secret_variables)
    variables = sorted([name, None if name in hidden else value] for name, value in environ.items()
                       if (name.startswith("HUB_") and "__" in name) or name in OTHER_VARIABLES)
    libraries = []
    for entry in sys.path:
        if entry.endswith("-packages"):
            with contextlib.suppress(OSError):
                libraries.append([entry, os.stat(entry).st_mtime_ns])
    parts = [FORMAT, str(config), hashlib.sha256(data).hexdigest(), variables, running_code_digest(),
             sys.version, libraries]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogateescape")).hexdigest()


def kept_part(config_path: str | None, part: str, environ: Mapping[str, str]) -> Any:
    """The ``part`` (``"sync"``, ``"status"``) of the inputs kept for the configuration file,
    when they are those of the settings a command would validate now; else None."""
    if HOSTED.get() is not None:
        return None  # a hosted collective's settings come from its registry
    try:
        config = config_file(config_path, environ).resolve()
        where = kept_file(config, environ)
        if where is None:
            return None
        kept = json.loads(where.read_text(encoding="utf-8"))
        if kept.get("format") != FORMAT:
            return None
        if kept["key"] != inputs_key(config, config.read_bytes(), environ, kept["secret_variables"]):
            return None
        return kept[part]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def quick_sync(config_path: str | None, as_json: bool, environ: Mapping[str, str] | None = None) -> Verdict:
    """The quick check on kept inputs, when they are those of the settings ``hub sync`` would
    validate now. Says "nothing to do" itself (:attr:`Verdict.NOTHING`)."""
    environ = os.environ if environ is None else environ
    try:
        kept = kept_part(config_path, "sync", environ)
        if kept is None:
            return Verdict.UNKNOWN
        inputs = QuickInputs.from_json(kept["inputs"])
        sources: Mapping[str, Mapping[str, Any]] = kept["secrets"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return Verdict.UNKNOWN

    def secret(section: str, name: str) -> str | None:
        source = sources[section][name]
        if source is None:
            return None
        if "file" in source:
            return read_secret(Path(source["file"]))
        return environ[source["variable"]]

    noop = check(inputs, secret)
    if noop is None:
        return Verdict.WORK
    record(inputs.database_url, noop, datetime.now().astimezone().isoformat())
    from hub.messages import say

    print(json.dumps(noop.to_json(), ensure_ascii=False) if as_json else say("nothing", inputs.language), flush=True)
    return Verdict.NOTHING


def quick_status(config_path: str | None, as_json: bool, environ: Mapping[str, str] | None = None) -> bool:
    """``hub status`` on the facts kept of the settings it would validate now, printed through
    the same redactor; False (nothing printed) when there are none or the state is not a
    current SQLite file: the command line then answers as always."""
    import sqlite3

    from hub.status import StatusFacts, status_output
    from sync.state_reader import open_reader

    environ = os.environ if environ is None else environ
    try:
        kept = kept_part(config_path, "status", environ)
        if kept is None:
            return False
        facts = StatusFacts.from_json(kept["facts"])
        redact = kept_redactor(kept["redaction"], environ)
        reader = open_reader(facts.database_url)
        if reader is None:
            return False
        try:
            lines = status_output(facts, reader, as_json)
        finally:
            reader.close()
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError, AttributeError):
        return False  # the command line reads it again, and says what is wrong
    print("\n".join(redact(line) for line in lines), flush=True)
    return True


def quick_ask(ask: AskArguments, environ: Mapping[str, str] | None = None) -> bool:
    """``hub ask`` from the index kept beside the state, for the settings whose facts were kept;
    False (nothing printed) when there are none, or no current index: the command line then
    answers as always (and keeps the index for the next question)."""
    import sqlite3

    from bots.cli import kept_index_reply
    from hub.status import StatusFacts

    environ = os.environ if environ is None else environ
    try:
        kept = kept_part(ask.config, "status", environ)
        if kept is None:
            return False
        facts = StatusFacts.from_json(kept["facts"])
        said = kept_index_reply(facts.database_url, facts.language, ask.question, at=ask.at, lang=ask.lang,
                                fmt=ask.fmt, as_json=ask.as_json, after=ask.after)
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if said is None:
        return False
    print(said, flush=True)
    return True


def kept_redactor(sources: Mapping[str, Any], environ: Mapping[str, str]) -> Redactor:
    """The redactor :func:`config.secrets.secret_values` gives the settings, from where their
    secrets come from (:func:`_redaction_sources`): a file that cannot be read is skipped there
    and here alike."""
    values = []
    for source in sources["values"]:
        if "variable" in source:
            values.append(environ[source["variable"]])
            continue
        try:
            value = read_secret(Path(source["file"]))
        except (OSError, SecretTooShort):
            continue
        if value:
            values.append(value)
    return Redactor(secret_forms(values, sources["usernames"]))


def remember(settings: Any, inputs: QuickInputs | None, environ: Mapping[str, str] | None = None) -> bool:
    """Keep, for the next command, ``inputs`` (what ``hub sync``'s check reads of ``settings``;
    None: nothing to keep) and what ``hub status`` reads of them; False when nothing is kept: a
    secret in the file itself, no cache folder, a folder that cannot be written, settings
    neither command can answer from (the next command then validates its settings again)."""
    from sync.inputs import secret_variables

    environ = os.environ if environ is None else environ
    where = kept_file(settings.path, environ)
    if where is None:
        return False
    hidden = secret_variables(settings, environ)
    sources = _secret_sources(settings, inputs, environ) if inputs is not None and hidden is not None else None
    redaction = _redaction_sources(settings, environ) if hidden is not None else None
    sync = None if inputs is None or sources is None else {"inputs": inputs.to_json(), "secrets": sources}
    status = None if redaction is None or not _status_readable(settings) else \
        {"facts": _status_facts(settings).to_json(), "redaction": redaction}
    if hidden is None or (sync is None and status is None):
        with contextlib.suppress(OSError):
            where.unlink(missing_ok=True)  # inputs kept for earlier settings are of no use
        return False
    try:
        data = settings.path.read_bytes()
        kept = {"format": FORMAT, "key": inputs_key(settings.path, data, environ, hidden),
                "secret_variables": hidden, "sync": sync, "status": status}
        import tempfile

        where.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".quick-", dir=where.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(kept, out, ensure_ascii=False)
            os.replace(temporary, where)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


def _status_readable(settings: Any) -> bool:
    """``hub status`` can answer from kept facts: a state in a SQLite file (read with sqlite3;
    a server's URL may carry its password, which is never kept), not a hosted collective's."""
    return HOSTED.get() is None and settings.state_schema is None and sqlite_file(settings.database_url) is not None


def _status_facts(settings: Any) -> StatusFacts:
    from hub.status import StatusFacts

    return StatusFacts.of(settings)


def _redaction_sources(settings: Any, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """Where the secrets :func:`config.secrets.secret_values` masks come from, as plain data:
    ``{"variable": name}`` or ``{"file": path}`` each, and the user names a Basic credential
    pairs them with; None when one comes from anywhere else (the database's password)."""
    from pydantic import SecretStr

    from config.environment import variable_name
    from config.redaction import database_password

    if database_password(settings.database_url):
        return None
    values: list[dict[str, str]] = []
    usernames: set[str] = set()
    for section in settings.connectors:
        config = section.config
        usernames.update(v for key in ("username", "user", "client_id")
                         if isinstance(v := getattr(config, key, None), str))
        for name in type(config).model_fields:
            value = getattr(config, name, None)
            if isinstance(value, SecretStr):
                if value.get_secret_value():
                    variable = variable_name(("connectors", section.name, name))
                    if environ.get(variable) != value.get_secret_value():
                        return None
                    values.append({"variable": variable})
            elif name.endswith("_file") and value:
                given = getattr(config, name[: -len("_file")], None)
                if isinstance(given, SecretStr) and given.get_secret_value():
                    continue  # the setting wins over its file: its value is counted above
                if isinstance(given, str) and given:
                    return None
                file = Path(value)
                values.append({"file": str(file if file.is_absolute() else settings.base_dir / file)})
    return {"values": values, "usernames": sorted(usernames)}


def _secret_sources(settings: Any, inputs: QuickInputs, environ: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
    """Where each probe's secrets come from: ``{"variable": name}``, ``{"file": path}`` or None
    (not set); None when one comes from anywhere else."""
    from pydantic import SecretStr

    from config.environment import variable_name

    configs = {section.name: section.config for section in settings.connectors}
    sources: dict[str, dict[str, Any]] = {}
    for call in inputs.probes:
        config = configs[call.name]
        mine: dict[str, Any] = {}
        for name in load_probe(call.module).SECRETS:
            value = getattr(config, name, None)
            path = getattr(config, f"{name}_file", None)
            if isinstance(value, SecretStr) and value.get_secret_value():
                variable = variable_name(("connectors", call.name, name))
                if environ.get(variable) != value.get_secret_value():
                    return None
                mine[name] = {"variable": variable}
            elif value:
                return None  # a secret of another kind: not kept
            elif path:
                file = Path(path)
                mine[name] = {"file": str(file if file.is_absolute() else settings.base_dir / file)}
            else:
                mine[name] = None
        sources[call.name] = mine
    return sources
