"""What the connector needs from a WordPress site, whichever API reaches it (REST or XML-RPC)."""

from __future__ import annotations

import abc
import email.utils
from dataclasses import dataclass
from datetime import UTC

#: Statuses a page or post can have that the hub may find by looking it up (not auto-drafts).
LOOKUP_STATUSES = ("publish", "future", "draft", "pending", "private", "trash")


@dataclass(frozen=True, slots=True)
class Page:
    """A page or post as the hub needs it. Times are GMT, ``YYYY-MM-DDTHH:MM:SS``.

    ``seen`` is the server's clock when it answered (its ``Date`` header), "" when unknown: an
    edit in the same second as ``modified`` would not move ``modified`` past what was seen.
    """

    id: str
    slug: str
    status: str
    title: str
    content: str
    modified: str
    seen: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    """Who the credentials log in as, and what they may do."""

    username: str
    #: Capabilities granted (REST), or None when only roles are known (XML-RPC).
    capabilities: frozenset[str] | None
    roles: tuple[str, ...]


def http_date(value: str | None) -> str:
    """An HTTP ``Date`` header as GMT ``YYYY-MM-DDTHH:MM:SS`` ("" when absent or unreadable)."""
    if not value:
        return ""
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class SiteAPI(abc.ABC):
    """One way of talking to a site. Every method maps failures into ``sync.errors``."""

    name: str

    @abc.abstractmethod
    async def account(self) -> Account:
        """The logged-in user (proves the credentials)."""

    @abc.abstractmethod
    async def page_by_id(self, page_id: str) -> Page | None:
        """The page with this id in any status, trashed included; None when it is gone."""

    @abc.abstractmethod
    async def page_by_slug(self, slug: str) -> Page | None:
        """The page with this slug (not trashed), or None."""

    @abc.abstractmethod
    async def page_if_modified(
        self, page_id: str, since: str, *, inclusive: bool = False
    ) -> Page | None:
        """The page when modified after ``since`` (GMT; in that second or after when
        ``inclusive``), else None. An unchanged page costs one request."""

    @abc.abstractmethod
    async def save_page(self, page_id: str | None, slug: str, title: str, content: str) -> Page:
        """Create (``page_id`` None) or rewrite a published page; the page as stored."""

    @abc.abstractmethod
    async def find_post(self, slug: str, marker: str) -> str | None:
        """The id of a post with this slug (trashed included), or None."""

    @abc.abstractmethod
    async def create_post(self, slug: str, title: str, content: str, status: str) -> Page:
        """Create a post; the post as stored."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release what the API holds."""
