"""The round's stages one by one: plan, quiet period, retry policy, and the planned op's trip
through the outbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.files import FilesConfig, FilesConnector
from sync.errors import PermanentError, TransientError
from sync.model import Programme, content_hash
from sync.plan import plan_connector
from sync.protocol import ConnectorContext, Link, Op
from sync.quiet import publish, settle
from sync.retry import RetryPolicy
from sync.state import StateStore
from tests.helpers import reference_programme

KEY = "atelier-culture-juridique"


@pytest.fixture
def sink(tmp_path: Path, make_context: Callable[[str], ConnectorContext]) -> FilesConnector:
    return FilesConnector("exports", FilesConfig(type="files", path=str(tmp_path)), make_context("exports"))


def pushed(sink: FilesConnector, programme: Programme) -> dict[str, Link]:
    """Links as after a push of the whole programme."""
    links = {}
    for key, session in programme.sessions.items():
        projection = sink.project(session, programme)
        digest = content_hash(projection)
        links[key] = Link("exports", "exports", key, f"id-{key}", "1", digest, digest, projection, 0)
    return links


def renamed(programme: Programme, key: str, title: str) -> Programme:
    session = dataclasses.replace(programme.sessions[key], title=title)
    return dataclasses.replace(programme, sessions={**programme.sessions, key: session})


def test_a_new_sink_gets_one_create_per_session_with_its_projection(sink: FilesConnector) -> None:
    programme = reference_programme()
    plan = plan_connector(sink, {}, programme, programme.sessions, set())
    assert [op.action for op in plan.ops] == ["create"] * len(programme.sessions)
    op = next(op for op in plan.ops if op.key == KEY)
    assert op.projection == sink.project(programme.sessions[KEY], programme)
    assert op.hash == content_hash(op.projection)


def test_only_what_differs_is_planned(sink: FilesConnector) -> None:
    programme = reference_programme()
    links = pushed(sink, programme)
    assert plan_connector(sink, links, programme, programme.sessions, set()).ops == []
    changed = renamed(programme, KEY, "Culture juridique (suite)")
    [op] = plan_connector(sink, links, changed, changed.sessions, set()).ops
    assert (op.action, op.key, op.sequence) == ("update", KEY, 1)
    assert op.projection is not None and op.projection["title"] == "Culture juridique (suite)"


def test_what_the_remote_already_holds_is_adopted_not_written(sink: FilesConnector) -> None:
    programme = reference_programme()
    changed = renamed(programme, KEY, "Culture juridique (suite)")
    links = pushed(sink, programme)
    # the same edit was made on the remote and pulled: it already holds the new projection
    links[KEY] = dataclasses.replace(links[KEY], seen_hash=content_hash(sink.project(changed.sessions[KEY], changed)))
    plan = plan_connector(sink, links, changed, [KEY], set())
    assert plan.ops == []
    assert [link.key for link in plan.adopted] == [KEY]


def test_held_sessions_are_not_pushed_over_and_removed_ones_are_deleted(sink: FilesConnector) -> None:
    programme = reference_programme()
    links = pushed(sink, programme)
    changed = renamed(programme, KEY, "Autre titre")
    assert plan_connector(sink, links, changed, [KEY], {KEY}).ops == []
    gone = dataclasses.replace(programme, sessions={k: s for k, s in programme.sessions.items() if k != KEY})
    [op] = plan_connector(sink, links, gone, [KEY], set()).ops
    assert (op.action, op.projection, op.sequence) == ("delete", None, 1)


def test_a_planned_op_survives_the_outbox_unchanged(sink: FilesConnector) -> None:
    programme = reference_programme()
    [op] = plan_connector(sink, {}, programme, [KEY], set()).ops
    assert Op.from_payload(op.action, op.key, op.to_payload()) == op
    with pytest.raises(ValueError):
        Op.from_payload("announce", KEY, op.to_payload())


def test_quiet_period_announces_once_the_session_is_still(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path}/state.db")
    programme = reference_programme()
    first = settle(store, [], programme, now=0, delay=600)
    assert not first.initialized and first.announcement is None
    with store.transaction() as conn:
        publish(store, conn, first, programme)  # the first programme is the baseline, not news
    changed = renamed(programme, KEY, "Culture juridique (suite)")
    waiting = settle(store, [KEY], changed, now=100, delay=600)
    assert waiting.announcement is None and waiting.waiting == {KEY: 100}
    with store.transaction() as conn:
        publish(store, conn, waiting, changed)
    due = settle(store, [], changed, now=700, delay=600)
    assert due.announcement is not None
    assert [(c.session, c.kind) for c in due.announcement.changes] == [(KEY, "renamed")]
    with store.transaction() as conn:
        publish(store, conn, due, changed)
    assert settle(store, [], changed, now=2000, delay=600).announcement is None, "announced once"


def test_an_edit_undone_within_the_quiet_period_is_not_announced(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path}/state.db")
    programme = reference_programme()
    with store.transaction() as conn:
        publish(store, conn, settle(store, [], programme, now=0, delay=600), programme)
    with store.transaction() as conn:
        publish(store, conn, settle(store, [KEY], renamed(programme, KEY, "Oups"), now=10, delay=600), programme)
    assert settle(store, [KEY], programme, now=20, delay=0).announcement is None


def test_retry_policy_doubles_and_the_server_wins() -> None:
    policy = RetryPolicy(delay=30, max_delay=100)
    assert [policy.wait(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    assert policy.next_at(1000, TransientError("busy", retry_after=5)) == 1005
    assert policy.next_at(1000, PermanentError("no"), attempts=2) == 1060
    assert RetryPolicy().next_at(1000, TransientError("down")) == 1000, "by default the next run retries"
