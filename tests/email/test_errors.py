"""What goes wrong with a mail server, told apart by what the hub does next, in the list's
language, naming the server and its reply, and never the password."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.email import EmailConfig, EmailConnector
from sync.errors import AuthError, DeliveryUnknown, PermanentError, TransientError
from sync.protocol import ConnectorContext
from tests.email.conftest import MakeConnector, settings
from tests.email.support import PROGRAMME, announcement, later
from tests.fakes.smtp import LIST, PASSWORD, SENDER, SMTPServer

NEWS = announcement(PROGRAMME, later(PROGRAMME, "atelier-culture-juridique"), occurrence="entry-1")


def connector_for(server: SMTPServer, folder: Path, make_context: Callable[..., ConnectorContext],
                  **overrides: object) -> EmailConnector:
    (folder / "smtp.password").write_text(PASSWORD + "\n", encoding="utf-8")
    config = EmailConfig.model_validate(settings(server, **overrides))
    return EmailConnector("liste", config, make_context("liste"))


async def test_a_refused_password_stops_the_connector_and_is_said_in_both_languages(
    make_connector: MakeConnector, smtp: SMTPServer, tmp_path: Path
) -> None:
    (tmp_path / "wrong").write_text("not the password\n", encoding="utf-8")
    with pytest.raises(AuthError) as french:
        await make_connector(password_file="wrong").announce(LIST, NEWS)
    assert str(french.value) == (
        f"[liste] smtp://localhost:{smtp.port} refuse l'identifiant hub ou son mot de passe "
        "(535 5.7.8 Error: authentication failed: authentication failure) : vérifiez username et password_file"
    )
    with pytest.raises(AuthError) as english:
        await make_connector(password_file="wrong", language="en").check()
    assert "refuses the login hub or its password (535" in str(english.value)
    assert smtp.received() == [] and "MAIL" not in smtp.commands
    assert "not the password" not in str(french.value) + str(english.value)


async def test_a_sender_the_account_may_not_use_stops_the_connector(
    make_connector: MakeConnector, smtp: SMTPServer
) -> None:
    connector = make_connector(**{"from": "someone@elsewhere.example.org"})
    with pytest.raises(AuthError, match=r"refuse l'expéditeur someone@elsewhere.example.org \(553 5\.7\.1"):
        await connector.check()
    with pytest.raises(AuthError):
        await connector.announce(LIST, NEWS)
    assert smtp.received() == []


async def test_a_moderated_list_refusing_the_sender_is_a_permanent_refusal(
    smtp: SMTPServer, make_connector: MakeConnector
) -> None:
    smtp.mailbox.lists[LIST] = {"someone.else@example.org"}  # the hub's sender is no member
    connector = make_connector()
    with pytest.raises(PermanentError) as refused:
        await connector.announce(LIST, NEWS)
    assert not isinstance(refused.value, DeliveryUnknown)
    text = str(refused.value)
    assert f"refuse le destinataire {LIST} (550 5.7.1" in text and f"abonnez {SENDER}" in text
    assert "n'est pas réessayé" in text
    # nothing was handed over, so the record is gone: a person who fixes the list may resend
    assert connector.records.load("messages") == {}


async def test_a_message_over_the_servers_size_is_not_sent(tmp_path: Path,
                                                           make_context: Callable[..., ConnectorContext]) -> None:
    with SMTPServer(tmp_path, size_limit=1500).running() as server:
        connector = connector_for(server, tmp_path, make_context)
        with pytest.raises(PermanentError, match=r"plus que les 1500 que smtp://localhost:\d+ accepte"):
            await connector.announce(LIST, NEWS)
        assert "MAIL" not in server.commands and server.received() == []


async def test_the_servers_answers_after_the_text_decide(make_connector: MakeConnector, smtp: SMTPServer) -> None:
    connector = make_connector()
    smtp.fail_next("DATA", "552 5.3.4 Message size exceeds fixed limit")
    with pytest.raises(PermanentError, match=r"trop gros \(552 5\.3\.4"):
        await connector.announce(LIST, NEWS)
    smtp.fail_next("DATA", "451 4.3.0 Error: queue file write error")
    with pytest.raises(TransientError, match=r"diffère le message .* \(451 4\.3\.0"):
        await connector.announce(LIST, NEWS)
    smtp.fail_next("RCPT", "450 4.2.0 <assemblee@listes.example.org>: Recipient address rejected: Greylisted")
    with pytest.raises(TransientError, match="Greylisted"):
        await connector.announce(LIST, NEWS)
    await connector.announce(LIST, NEWS)  # refused before: tried again, and it goes
    assert len(smtp.received()) == 1  # the refused ones were not taken


async def test_a_server_down_is_transient(make_connector: MakeConnector, smtp: SMTPServer) -> None:
    connector = make_connector()
    smtp.stop()
    with pytest.raises(TransientError, match=r"smtp://localhost:\d+ injoignable"):
        await connector.announce(LIST, NEWS)
    assert connector.records.load("messages") == {}


async def test_a_connection_cut_after_the_text_is_in_doubt_and_never_resent(
    make_connector: MakeConnector, smtp: SMTPServer
) -> None:
    connector = make_connector()
    smtp.drop_next()
    with pytest.raises(DeliveryUnknown) as doubt:
        await connector.announce(LIST, NEWS)
    message_id = connector.message_id(LIST, "entry-1")
    assert message_id in str(doubt.value) and "pas de nouvel envoi" in str(doubt.value)
    assert connector.records.load("messages")[message_id]["state"] == "in_doubt"
    with pytest.raises(DeliveryUnknown):
        await connector.announce(LIST, NEWS)
    assert len(smtp.received()) == 1


async def test_no_starttls_means_nothing_sent_in_clear(tmp_path: Path,
                                                      make_context: Callable[..., ConnectorContext]) -> None:
    with SMTPServer(tmp_path, encryption="none").running() as server:
        with pytest.raises(AuthError, match="ne propose pas STARTTLS"):
            await connector_for(server, tmp_path, make_context).check()
        # on a trusted network, without TLS: this server then offers no login at all
        with pytest.raises(AuthError, match="ne propose pas de connexion par mot de passe"):
            await connector_for(server, tmp_path, make_context, starttls=False).check()
        assert server.received() == []


async def test_an_untrusted_certificate_is_refused(smtp: SMTPServer, tmp_path: Path,
                                                  make_context: Callable[..., ConnectorContext]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with SMTPServer(other).running() as stranger:  # its certificate comes from another authority
        connector = connector_for(stranger, tmp_path, make_context, ca_bundle=str(smtp.ca_bundle))
        with pytest.raises(AuthError, match=r"la connexion chiffrée échoue .*certificate"):
            await connector.announce(LIST, NEWS)
        assert stranger.received() == []


async def test_implicit_tls_and_the_proofs_of_hub_check(tmp_path: Path,
                                                       make_context: Callable[..., ConnectorContext]) -> None:
    with SMTPServer(tmp_path, encryption="tls").running() as server:
        connector = connector_for(server, tmp_path, make_context, tls=True, digest="18:00")
        proofs = await connector.check()
        assert proofs[0].startswith(f"smtps://localhost:{server.port} joignable (TLS dès la connexion, TLSv1.")
        assert proofs[1:4] == ["connecté en tant que hub", f"expéditeur {SENDER} accepté",
                               f"destinataire {LIST} accepté"]
        assert "18:00" in proofs[4]
        assert server.received() == [] and "DATA" not in server.commands and "RSET" in server.commands
        await connector.announce(LIST, dataclasses.replace(NEWS, occurrence="x"))  # digest: kept, not sent
        assert server.received() == []


async def test_the_password_is_never_in_a_record_or_an_error(make_connector: MakeConnector,
                                                            smtp: SMTPServer) -> None:
    connector = make_connector()
    await connector.announce(LIST, NEWS)
    smtp.fail_next("DATA", "554 5.7.1 Rejected by policy")
    with pytest.raises(PermanentError) as refused:
        await connector.announce(LIST, dataclasses.replace(NEWS, occurrence="entry-2"))
    assert PASSWORD not in repr(connector.records.memory) + str(refused.value) + repr(connector.config)


def test_a_bad_section_is_refused_with_the_reason() -> None:
    base = {"type": "email", "host": "smtp.example.org", "from": SENDER, "to": [LIST]}
    for bad, reason in [({"to": ["not an address"]}, "is not an e-mail address"),
                        ({"digest": "25:00"}, "HH:MM"),
                        ({"password_file": "x"}, "without username"),
                        ({"from": "a@example.org, b@example.org"}, "one address"),
                        ({"ics_url": "javascript:alert(1)"}, "pattern")]:
        with pytest.raises(ValueError, match=reason):
            EmailConfig.model_validate({**base, **bad})
    config = EmailConfig.model_validate({**base, "to": [LIST, LIST.upper()], "tls": True})
    assert config.to == [LIST] and config.server_port == 465
