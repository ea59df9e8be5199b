"""Who may make the bot act: only a configured admin, named by the identity the platform gives
the sender, in a configured chat. Case, spaces, look-alike characters, a command meant for
another bot, a forwarded or anonymous message and a chat not in the configuration change nothing.

(The daemon's webhooks, with their secret token and HMAC, are tested with the daemon.)
"""

from __future__ import annotations

import pytest

from tests.bots.conftest import programme  # noqa: F401  (fixture)
from tests.bots.test_telegram_bot import (  # noqa: F401  (fixtures)
    ADMIN,
    GROUP,
    MEMBER,
    STRANGER,
    Deployment,
    deploy,
    deployer,
    fake,
    texts,
)
from tests.fakes.telegram import FakeTelegram

REFUSAL = "Désolé, cette commande est réservée aux organisateurs."


@pytest.mark.parametrize("command", ["/sync", "/SYNC", "/Sync", "/sync@commons_hub_bot", "/annonce Tout est annulé"])
async def test_a_member_never_runs_an_admin_command(
    fake: FakeTelegram, deploy: Deployment, command: str  # noqa: F811
) -> None:
    fake.inject_message(GROUP, command, user_id=MEMBER)
    await deploy.frontend.poll_once()
    assert deploy.ops.calls == []
    assert texts(fake, GROUP) in ([REFUSAL], []), "refused politely, or not taken as a command at all"


@pytest.mark.parametrize("text", [
    "／sync",               # a full-width solidus: looks like a command, is not one
    "/sync@another_bot",    # a command for another bot of the group
    "\u200b/sync",          # a zero-width space first
    "/ sync",
    "/synс",                # a Cyrillic "с" at the end
])
async def test_look_alikes_and_other_bots_commands_do_nothing_even_from_an_admin(
    fake: FakeTelegram, deploy: Deployment, text: str,  # noqa: F811
) -> None:
    fake.inject_message(GROUP, text, user_id=ADMIN)
    await deploy.frontend.poll_once()
    assert deploy.ops.calls == []


async def test_a_chat_not_in_the_configuration_gets_nothing_done(
    fake: FakeTelegram, deploy: Deployment  # noqa: F811
) -> None:
    fake.inject_message(STRANGER, "/sync", user_id=ADMIN)
    fake.inject_message(STRANGER, "/annonce Réunion annulée", user_id=ADMIN)
    await deploy.frontend.poll_once()
    assert deploy.ops.calls == []
    assert all("Réunion annulée" not in t for chat in (GROUP, STRANGER) for t in texts(fake, chat))


async def test_only_new_messages_are_asked_for(fake: FakeTelegram, deploy: Deployment) -> None:  # noqa: F811
    """An edited message is never delivered: the bot asks Telegram for ``message`` updates only,
    so editing an old message into "/sync" does nothing."""
    await deploy.frontend.poll_once()
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    assert polls and all(_allowed(c.params) == ["message"] for c in polls)


def _allowed(params: dict[str, object]) -> object:
    import json

    value = params.get("allowed_updates")
    return json.loads(value) if isinstance(value, str) else value
