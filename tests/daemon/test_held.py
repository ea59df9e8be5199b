"""A held batch is told once: the daemon's probes see the held source unchanged and start no
sync, until what it proposes changes again."""

from __future__ import annotations

import time
from pathlib import Path

from tests.caldav.conftest import CalDAVServer
from tests.daemon.conftest import CHAT, new_daemon
from tests.daemon.test_daemon import metric_values
from tests.etherpad.conftest import EtherpadServer, Person
from tests.etherpad.test_review import vandalise
from tests.fakes.telegram import FakeTelegram
from tests.wordpress.site import Site

PAD_PROBES = ("hub_probes_total", (("connector", "pad"),))
HELD = ("hub_held_batches", ())


def test_a_held_pad_starts_no_sync_at_each_probe_until_it_changes_again(
    tmp_path: Path, radicale: CalDAVServer, etherpad_server: EtherpadServer, wordpress_site: Site,
    telegram: FakeTelegram,
) -> None:
    daemon, names = new_daemon(tmp_path, radicale, etherpad_server, wordpress_site, telegram)
    person = Person(etherpad_server)
    try:
        daemon.start()
        person.write(names["pad"], vandalise(person.text(names["pad"])))
        daemon.wait_for(lambda: metric_values(daemon)[HELD] == 1, 30, "the vandalised pad held")
        time.sleep(1)  # the holding sync ends
        syncs, probes = daemon.syncs(), metric_values(daemon)[PAD_PROBES]
        said = len(telegram.messages(CHAT))
        time.sleep(3)  # six probe intervals with the pad as it was held
        assert metric_values(daemon)[PAD_PROBES] - probes >= 3, "the pad is still probed"
        assert daemon.syncs() == syncs, "a held batch nobody changed starts no sync"
        assert len(telegram.messages(CHAT)) == said, "nothing more is said in the chat"

        person.write(names["pad"], person.text(names["pad"]).replace("ANNULÉ 14:00-16:30", "ANNULÉ 09:00-10:30"))
        daemon.wait_for(lambda: daemon.syncs() > syncs, 20, "a sync after the held pad proposed other times")
    finally:
        person.close()
        daemon.close()
