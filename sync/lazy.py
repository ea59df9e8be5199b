"""Mappings over the state store that read only what is looked at.

A sync of a large programme where little changed must cost what changed: the engine hands its
stages the stored sessions and links as :class:`Lazy` mappings. Their keys (and one cheap column
per key: a session's hash, a link's remote version) come from one narrow query; a value is
decoded only when asked for, in batches (:meth:`Lazy.prefetch`), and everything only when a
stage iterates the values (a document sink rendering the whole programme).

:class:`Overlay` is a mapping with some keys replaced or removed (the merged programme over the
stored one), and :class:`SessionView` the typed sessions of a mapping of records, built on
first use. All three behave as read-only ``Mapping`` objects, so code that is handed a plain
``dict`` (tests, ``hub export``) works the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from sync.model import Session
from sync.protocol import Link

V = TypeVar("V")


class Lazy(Mapping[str, V]):
    """A read-only mapping whose values are fetched on demand.

    ``keys`` returns every key with its cheap column (:meth:`light`), in a stable order;
    ``fetch(keys)`` the values of those keys, ``fetch(None)`` every value. The cheap column of
    links is their :class:`LinkHead`, of session records their content hash.
    """

    def __init__(self, keys: Callable[[], Mapping[str, Any]],
                 fetch: Callable[[Collection[str] | None], Mapping[str, V]]) -> None:
        self._keys_of = keys
        self._fetch = fetch
        self._light: Mapping[str, Any] | None = None
        self._cache: dict[str, V] = {}
        self._complete = False

    @classmethod
    def of(cls, values: Mapping[str, V], light: Callable[[V], Any] | None = None) -> Lazy[V]:
        """A mapping already in memory, ``light`` giving each value's cheap column."""
        lazy: Lazy[V] = cls(lambda: {k: light(v) if light else None for k, v in values.items()}, lambda keys: {
            k: values[k] for k in (values if keys is None else keys) if k in values})
        return lazy

    def light(self) -> Mapping[str, Any]:
        """Every key with its cheap column, read once."""
        if self._light is None:
            self._light = self._keys_of()
        return self._light

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the values of ``keys`` (those not read yet) in one go."""
        if self._complete:
            return
        light = self.light()
        wanted = {k for k in keys if k in light and k not in self._cache}
        if wanted:
            self._cache.update(self._fetch(wanted))

    def load_all(self) -> None:
        if not self._complete:
            light = self.light()
            self._cache.update((k, v) for k, v in self._fetch(None).items() if k in light and k not in self._cache)
            self._complete = True

    def __getitem__(self, key: str) -> V:
        try:
            return self._cache[key]
        except KeyError:
            pass
        if self._complete or key not in self.light():
            raise KeyError(key)
        self._cache.update(self._fetch([key]))
        return self._cache[key]

    def __contains__(self, key: object) -> bool:
        # The keys read first decide, even when a value is fetched after the store changed
        # (the engine commits a round, then a sink reads the programme it planned).
        return key in self.light()

    def __iter__(self) -> Iterator[str]:
        return iter(self.light())

    def __len__(self) -> int:
        return len(self.light())

    def values(self) -> Any:
        self.load_all()
        return [self._cache[k] for k in self.light() if k in self._cache]

    def items(self) -> Any:
        self.load_all()
        return [(k, self._cache[k]) for k in self.light() if k in self._cache]


class LinkHead(NamedTuple):
    """What a pull needs of most links: where the item is and at which version."""

    remote_id: str | None
    remote_version: str | None


def link_heads(links: Mapping[str, Link]) -> Mapping[str, LinkHead]:
    """Every link's head by key: from the cheap column of stored links (nothing decoded), else
    from the links themselves."""
    if isinstance(links, Lazy):
        light = links.light()
        if all(isinstance(head, LinkHead) for head in light.values()):
            return light
    return {key: LinkHead(link.remote_id, link.remote_version) for key, link in links.items()}


class Overlay(Mapping[str, V]):
    """``base`` with ``changes`` laid over it: a key mapped to None there is removed."""

    def __init__(self, base: Mapping[str, V], changes: Mapping[str, V | None]) -> None:
        self.base = base
        self.changes = dict(changes)

    def __getitem__(self, key: str) -> V:
        if key in self.changes:
            value = self.changes[key]
            if value is None:
                raise KeyError(key)
            return value
        return self.base[key]

    def __contains__(self, key: object) -> bool:
        if key in self.changes:
            return self.changes[key] is not None
        return key in self.base

    def __iter__(self) -> Iterator[str]:
        for key in self.base:
            if key not in self.changes or self.changes[key] is not None:
                yield key
        for key, value in self.changes.items():
            if value is not None and key not in self.base:
                yield key

    def __len__(self) -> int:
        size = len(self.base)
        for key, value in self.changes.items():
            size += (value is not None) - (key in self.base)
        return size

    def prefetch(self, keys: Iterable[str]) -> None:
        if isinstance(self.base, Lazy | Overlay):
            self.base.prefetch(k for k in keys if k not in self.changes)

    def values(self) -> Any:
        return [value for _key, value in self.items()]

    def items(self) -> Any:
        changes = self.changes
        kept = [(k, changes.get(k, v)) for k, v in self.base.items()]
        added = [(k, v) for k, v in changes.items() if v is not None and k not in self.base]
        return [(k, v) for k, v in kept if v is not None] + added


class SessionView(Mapping[str, Session]):
    """The typed sessions of a mapping of records (times in the event's zone), each built once."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]], tz: ZoneInfo | None) -> None:
        self.records = records
        self.tz = tz
        self._built: dict[str, Session] = {}
        self._items: list[tuple[str, Session]] | None = None

    def __getitem__(self, key: str) -> Session:
        try:
            return self._built[key]
        except KeyError:
            session = self._built[key] = Session.from_record(self.records[key], self.tz)
            return session

    def __contains__(self, key: object) -> bool:
        return key in self._built or key in self.records

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def prefetch(self, keys: Iterable[str]) -> None:
        if isinstance(self.records, Lazy | Overlay):
            self.records.prefetch(keys)

    def values(self) -> Any:
        return [session for _key, session in self.items()]

    def items(self) -> Any:
        if self._items is None:
            built = self._built
            for key, record in self.records.items():
                if key not in built:
                    built[key] = Session.from_record(record, self.tz)
            self._items = [(key, built[key]) for key in self.records]
        return list(self._items)
