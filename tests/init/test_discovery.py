"""The discovery functions ``hub init`` uses, each against the real server or the fake it targets."""

from __future__ import annotations

import secrets

import pytest

from connectors.caldav_setup import find_calendars, make_calendar
from sync.errors import AuthError, ConnectorError
from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)


def test_calendars_are_found_from_the_server_address_and_one_is_made(radicale: CalDAVServer) -> None:  # noqa: F811
    existing = radicale.new_calendar()
    home = find_calendars(radicale.base_url, radicale.username, radicale.password)
    assert home.home.rstrip("/").endswith(radicale.home_path.rstrip("/"))
    assert existing in [c.url for c in home.calendars]
    slug = f"made-{secrets.token_hex(3)}"
    made = make_calendar(home.home, slug, "Assemblée", radicale.username, radicale.password)
    assert made.slug == slug
    again = find_calendars(radicale.base_url, radicale.username, radicale.password)
    assert ("Assemblée", slug) in [(c.name, c.slug) for c in again.calendars]


def test_refused_credentials_and_no_server_are_said_without_the_password(radicale: CalDAVServer) -> None:  # noqa: F811
    with pytest.raises(AuthError) as refused:
        find_calendars(radicale.base_url, radicale.username, "not-the-password-xyz", lang="fr")
    assert "not-the-password-xyz" not in str(refused.value)
    assert "401" in str(refused.value)
    with pytest.raises(ConnectorError) as unreachable:
        find_calendars("http://127.0.0.1:9/", "hub", "pw", timeout=2)
    assert "127.0.0.1:9" in str(unreachable.value)


def test_an_address_that_is_not_the_dav_root_falls_back_to_the_well_known_path(radicale: CalDAVServer) -> None:  # noqa: F811
    """A person may give the address of the site's front page: the well-known redirect leads on."""
    home = find_calendars(radicale.base_url.rstrip("/") + "/nothing-here/", radicale.username, radicale.password)
    assert home.home.rstrip("/").endswith(radicale.home_path.rstrip("/"))
