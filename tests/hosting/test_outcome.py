"""What a collective's registry row says of a finished sync, the same whoever ran it (a worker
or a hand-run command): ``hub collective list`` must not call "ok" a sync that ``hub sync`` would
have ended with a failure."""

from __future__ import annotations

from hub.hosting.registry import sync_outcome
from sync.report import ConnectorReport, Report


def test_a_clean_sync_is_ok() -> None:
    report = Report(connectors={"calendar": ConnectorReport(updated=3), "exports": ConnectorReport()})
    assert sync_outcome(report, "fr") == ("ok", None)
    assert not report.failed


def test_messages_in_doubt_count_as_a_failure_as_they_do_for_hub_sync() -> None:
    report = Report(connectors={"telegram": ConnectorReport(sent=4, in_doubt=1), "exports": ConnectorReport()})
    assert report.failed
    assert sync_outcome(report, "fr") == ("failed", "telegram: 1 message(s) à l'envoi incertain")
    assert sync_outcome(report, "en") == ("failed", "telegram: 1 message(s) in doubt")


def test_an_error_says_itself_and_failed_items_are_counted() -> None:
    report = Report(connectors={
        "calendar": ConnectorReport(error="le serveur a refusé le mot de passe"),
        "site": ConnectorReport(failed=2, in_doubt=1),
    })
    assert sync_outcome(report, "en") == (
        "failed", "calendar: le serveur a refusé le mot de passe; site: 2 failed, 1 message(s) in doubt")
