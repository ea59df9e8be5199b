"""One message per batch, as a person's mail reader shows it: the subject says what changed,
a plain-text and an HTML part say when and where, with the links, every header well encoded."""

from __future__ import annotations

import dataclasses
import email.header
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest

from tests.email.conftest import MakeConnector
from tests.email.support import PROGRAMME, announcement, edited, later
from tests.fakes.smtp import LIST, SENDER, SMTPServer


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


async def test_a_retimed_session_is_one_message_with_both_parts(make_connector: MakeConnector,
                                                                 smtp: SMTPServer) -> None:
    connector = make_connector()
    ref = await connector.announce(LIST, announcement(PROGRAMME, later(PROGRAMME, "atelier-culture-juridique")))
    [got] = smtp.received()
    assert got.mail_from == SENDER and got.rcpt_tos == [LIST]
    assert got.tls and got.login == "hub"
    assert got.size_option == str(len(got.content))  # SIZE announced at MAIL
    message = got.message
    assert message["Subject"] == "Programme : Culture juridique déplacé à 15 h"
    # the raw header is RFC 2047: 7-bit on the wire, accents intact once decoded
    raw_subject = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", got.content, re.M)
    assert raw_subject is not None and b"=?utf-8?" in raw_subject.group(1)
    assert all(byte < 128 for byte in got.content)
    assert str(email.header.make_header(email.header.decode_header(raw_subject.group(1).decode()))) \
        == "Programme : Culture juridique déplacé à 15 h"
    assert message["From"].addresses[0].display_name == "Assemblée des communs"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["To"] == LIST
    assert message["Message-ID"] == ref.remote_id
    assert re.fullmatch(r"<programme\.[0-9a-f]{32}@assemblee\.example\.org>", ref.remote_id)
    assert message["Content-Language"] == "fr"
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = parts(message)
    assert "Culture juridique : déplacé de 14 h à 15 h" in plain
    assert "Quand : samedi 13 novembre, 15 h – 17 h 30" in plain
    assert "Où : Les 8 Pillards, 13014 Marseille" in plain
    assert "Le programme complet : https://assemblee.example.org/programme/" in plain
    assert "(ICS) : https://assemblee.example.org/programme/programme.ics" in plain
    assert "<strong>Culture juridique : déplacé de 14 h à 15 h</strong>" in rich
    assert '<a href="https://assemblee.example.org/programme/programme.ics">' in rich
    for part in message.iter_parts():
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"


async def test_a_batch_is_titled_by_its_count_and_lists_each_change(make_connector: MakeConnector,
                                                                   smtp: SMTPServer) -> None:
    after = later(PROGRAMME, "atelier-culture-juridique")
    after = edited(after, "restitution", status="cancelled")
    after = edited(after, "accueil-cafe", venue="apres-m")
    await make_connector().announce(LIST, announcement(PROGRAMME, after))
    [got] = smtp.received()
    assert got.message["Subject"] == "Programme : 3 changements"
    plain, rich = parts(got.message)
    assert plain.index("restitution") < plain.index("Culture juridique") < plain.index("Accueil café")
    assert "Accueil café : les grandes tables : change de lieu, désormais à L'Après M" in plain
    assert "Où : L'Après M, 214 chemin de Sainte-Marthe, 13014 Marseille" in plain
    assert "Prendre soin des communs : la restitution (vendredi 12 novembre, 15 h 30) : annulé" in plain
    assert rich.count("<li><strong>") == 3


@pytest.mark.parametrize(("change", "fr", "en"), [
    (lambda p: edited(p, "restitution", status="cancelled"),
     "Programme : Prendre soin des communs : la restitution annulé",
     "Programme: Prendre soin des communs : la restitution cancelled"),
    (lambda p: edited(p, "accueil-cafe", venue="apres-m"),
     "Programme : Accueil café : les grandes tables change de lieu, L'Après M",
     "Programme: Accueil café : les grandes tables moves to L'Après M"),
    (lambda p: edited(p, "atelier-culture-juridique", title="Culture juridique des communs"),
     "Programme : « Culture juridique » devient « Culture juridique des communs »",
     "Programme: “Culture juridique” is now “Culture juridique des communs”"),
    (lambda p: edited(p, "atelier-culture-juridique",
                      end=p.sessions["atelier-culture-juridique"].end + timedelta(minutes=30)),
     "Programme : Culture juridique finit désormais à 17 h",
     "Programme: Culture juridique now ends at 17:00"),
    (lambda p: dataclasses.replace(p, sessions={k: s for k, s in p.sessions.items() if k != "accueil-cafe"}),
     "Programme : Accueil café : les grandes tables retiré du programme",
     "Programme: Accueil café : les grandes tables removed from the programme"),
])
async def test_the_subject_says_what_changed_in_the_list_language(
    make_connector: MakeConnector, smtp: SMTPServer, change: object, fr: str, en: str
) -> None:
    after = change(PROGRAMME)  # type: ignore[operator]
    await make_connector("fr").announce(LIST, announcement(PROGRAMME, after, "one"))
    await make_connector("fr", language="en").announce(LIST, announcement(PROGRAMME, after, "two"))
    french, english = smtp.received()
    assert french.message["Subject"] == fr
    assert english.message["Subject"] == en
    assert english.message["Content-Language"] == "en"


async def test_user_text_is_inert_in_html_and_headers(make_connector: MakeConnector, smtp: SMTPServer) -> None:
    after = edited(PROGRAMME, "accueil-cafe", title="Café <b>&</b> tables\nBcc: everyone@example.org")
    await make_connector(reply_to="Organisation <orga@assemblee.example.org>",
                         list_id="assemblee.listes.example.org").announce(LIST, announcement(PROGRAMME, after))
    [got] = smtp.received()
    message = got.message
    assert message["Bcc"] is None and got.rcpt_tos == [LIST]
    assert "\n" not in message["Subject"] and "Bcc: everyone" in message["Subject"]
    assert message["Reply-To"].addresses[0].addr_spec == "orga@assemblee.example.org"
    assert message["List-Id"] == "<assemblee.listes.example.org>"
    _plain, rich = parts(message)
    assert "Café &lt;b&gt;&amp;&lt;/b&gt; tables" in rich and "<b>&</b>" not in rich


async def test_the_same_announcement_has_the_same_message_id_and_goes_out_once(
    make_connector: MakeConnector, smtp: SMTPServer
) -> None:
    connector = make_connector()
    news = announcement(PROGRAMME, later(PROGRAMME, "atelier-culture-juridique"), occurrence="entry-1")
    first = await connector.announce(LIST, news)
    again = await connector.announce(LIST, news)  # a retry of a message that went out
    assert first == again and len(smtp.received()) == 1
    other = await connector.announce(LIST, dataclasses.replace(news, occurrence="entry-2"))
    assert other.remote_id != first.remote_id and len(smtp.received()) == 2
    assert connector.message_id(LIST, "entry-1") == make_connector().message_id(LIST, "entry-1")
    assert connector.ctx.counter.get("liste") == 2  # one SMTP session per message sent
