"""XML-RPC failures through the shared status table: HTTP errors on ``xmlrpc.php`` (the
transport's ``ProtocolError.errcode``) and WordPress's faults (``Fault.faultCode``, HTTP
numbers for definite answers, so never retried as if the server were down).

The real WordPress gives the faults it gives on request; a scripted server on loopback gives
what it will not (429 with ``Retry-After``, 500, a page that is not XML-RPC).
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.wordpress.xmlrpc import XmlRpcAPI
from sync.errors import AuthError, NotFound, PermanentError, TransientError
from tests.fakes.loopback import serve
from tests.wordpress.conftest import Harness

PASSWORD = "xmlrpc-app-password-1234"


class Scripted:
    """Answers each POST to /xmlrpc.php with the next (status, body, headers)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str, dict[str, str]]] = []

    def fault(self, code: int, text: str) -> None:
        body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True)
        self.answers.append((200, body, {"Content-Type": "text/xml"}))

    async def handle(self, request: Request) -> Response:
        status, body, headers = self.answers.pop(0)
        return Response(body, status_code=status, headers=headers)


@pytest.fixture
def scripted() -> Iterator[tuple[Scripted, XmlRpcAPI]]:
    server = Scripted()
    with serve(Starlette(routes=[Route("/xmlrpc.php", server.handle, methods=["POST"])])) as base:
        yield server, XmlRpcAPI(base, "hub", PASSWORD, connector="site", lang="en", count=lambda: None, timeout=5)


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (401, {}, AuthError),
        (403, {}, AuthError),
        (404, {}, PermanentError),  # no XML-RPC endpoint, not "the page is gone"
        (429, {"Retry-After": "45"}, TransientError),
        (500, {}, TransientError),
        (502, {}, TransientError),
        (400, {}, PermanentError),
    ],
)
async def test_http_errors_on_the_endpoint(
    scripted: tuple[Scripted, XmlRpcAPI], status: int, headers: dict[str, str], error: type[Exception]
) -> None:
    server, api = scripted
    server.answers.append((status, "<html>no</html>", headers))
    with pytest.raises(error) as caught:
        await api.page_by_id("7")
    assert type(caught.value) is error and f"xmlrpc.php answered {status}" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    if status == 429:
        assert caught.value.retry_after == 45  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("code", "error"),
    [(401, AuthError), (404, NotFound), (500, PermanentError), (400, PermanentError)],
)
async def test_faults_are_definite_answers(
    scripted: tuple[Scripted, XmlRpcAPI], code: int, error: type[Exception]
) -> None:
    server, api = scripted
    server.fault(code, "Sorry, no.")
    with pytest.raises(error) as caught:
        await api.save_page("7", "programme", "Programme", "<p>x</p>")
    assert type(caught.value) is error and f"/xmlrpc.php refused (XML-RPC fault {code}" in str(caught.value)


async def test_a_missing_page_is_none_when_looked_up(scripted: tuple[Scripted, XmlRpcAPI]) -> None:
    server, api = scripted
    server.fault(404, "Invalid post ID.")
    assert await api.page_by_id("7") is None


async def test_an_answer_that_is_not_xmlrpc_is_permanent(scripted: tuple[Scripted, XmlRpcAPI]) -> None:
    server, api = scripted
    server.answers.append((200, "<html><body>Welcome to my blog</body>", {"Content-Type": "text/html"}))
    with pytest.raises(PermanentError, match="not XML-RPC"):
        await api.page_by_id("7")


async def test_a_real_wordpress_fault_for_a_missing_page(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory(api="xmlrpc")
    api = h.connector.api
    assert isinstance(api, XmlRpcAPI)
    assert await api.page_by_id("987654") is None
    with pytest.raises(NotFound, match=r"/xmlrpc\.php a refusé \(erreur XML-RPC 404 : Invalid post ID\.\)"):
        await api.save_page("987654", "nowhere", "Nowhere", "<p>x</p>")
