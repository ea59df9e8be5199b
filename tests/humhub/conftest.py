"""A fake HumHub per test: the hub's account, a person of the collective, and their space."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest

from connectors.humhub import HumHubConfig, HumHubConnector
from tests.caldav.harness import context
from tests.fakes.humhub import FakeHumHub, Space, User

TOKEN = "hh-token-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"
PASSWORD = "hub-password-for-tests"
SPACE = "assemblee-des-communs"


@dataclass
class HumHubSite:
    fake: FakeHumHub
    hub: User
    person: User
    space: Space

    @property
    def url(self) -> str:
        return self.fake.url

    def connector(self, settings: Mapping[str, object] | None = None, name: str = "reseau") -> HumHubConnector:
        values: dict[str, object] = {"url": self.url, "space": SPACE, "token": TOKEN, "server_timezone": "UTC"}
        values.update(settings or {})
        config = HumHubConfig.model_validate(values)
        return HumHubConnector(name, config, context(name))

    def entries_by_key(self) -> dict[str, int]:
        """Session id -> entry id, read from the stored descriptions (not by the connector)."""
        from connectors.humhub.entries import marked_name

        found: dict[str, int] = {}
        for entry in self.fake.space_entries(self.space):
            key = marked_name(entry.description)
            if key:
                assert key not in found, f"two entries for {key}"
                found[key] = entry.id
        return found


@pytest.fixture
def humhub() -> Iterator[HumHubSite]:
    fake = FakeHumHub(timezone="UTC", jwt_expire=3600)
    with fake.running():
        hub = fake.add_user("hub", password=PASSWORD, token=TOKEN)
        person = fake.add_user("alice", password="alice-password")
        space = fake.add_space("Assemblée des communs", SPACE, members={person.id: "admin", hub.id: "member"})
        fake.add_space("Autre espace", "autre", members={person.id: "admin"})
        yield HumHubSite(fake, hub, person, space)


# The real CalDAV server the end-to-end test syncs beside HumHub.
from tests.caldav.conftest import radicale  # noqa: E402

__all__ = ["radicale"]
