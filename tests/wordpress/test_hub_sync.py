"""``hub sync`` end to end on the real WordPress: one page, one news post per change."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import edit_programme, hub_json, run_hub, write_config
from tests.wordpress.site import Site


def site_section(site: Site, page: str, prefix: str) -> str:
    return (
        "\n[connectors.site]\n"
        'type = "wordpress"\n'
        f'url = "{site.url}"\n'
        f'username = "{site.admin.username}"\n'
        'application_password_file = "wordpress.secret"\n'
        f'page = "{page}"\n'
        f'news_slug_prefix = "{prefix}"\n'
    )


def site_state(
    site: Site, page: str, prefix: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    auth = (site.admin.username, site.admin.app_password)
    with httpx.Client(base_url=site.rest, auth=auth, timeout=30) as client:
        pages = client.get(
            "/pages", params={"slug": page, "status": "publish,draft,trash", "context": "edit"}
        )
        posts = client.get(
            "/posts", params={"status": "publish,draft", "per_page": 100, "context": "edit"}
        )
    news = [p for p in posts.json() if p["slug"].startswith(prefix)]
    return pages.json(), news


def test_hub_sync_keeps_one_page_and_posts_each_change_once(
    tmp_path: Path, wordpress_site: Site
) -> None:
    page, prefix = f"programme-{secrets.token_hex(3)}", f"changes-{secrets.token_hex(3)}"
    config = write_config(tmp_path, site_section(wordpress_site, page, prefix))
    (tmp_path / "wordpress.secret").write_text(wordpress_site.admin.app_password + "\n")

    checked = run_hub("check", "--config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert wordpress_site.admin.app_password not in checked.stdout + checked.stderr

    first = hub_json("sync", "--config", str(config))["connectors"]["site"]
    assert first["created"] == 22 and first["failed"] == 0
    pages, news = site_state(wordpress_site, page, prefix)
    assert len(pages) == 1 and news == []
    page_id = pages[0]["id"]

    for _ in range(2):
        again = hub_json("sync", "--config", str(config))
        site = again["connectors"]["site"]
        assert (site["created"], site["updated"], site["deleted"]) == (0, 0, 0)
        assert site["requests"] == 1
        assert again["changes"] == []

    edit_programme(
        tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30"
    )
    changed = hub_json("sync", "--config", str(config))
    assert changed["connectors"]["site"]["updated"] == 1
    pages, news = site_state(wordpress_site, page, prefix)
    assert [p["id"] for p in pages] == [page_id]
    assert len(news) == 1
    assert "Culture juridique : déplacé de 14 h à 15 h" in news[0]["content"]["raw"]
    assert 'data-time="2021-11-13T15:00:00+01:00"' in pages[0]["content"]["raw"]

    for _ in range(2):
        rerun = hub_json("sync", "--config", str(config))
        assert rerun["changes"] == []
        assert rerun["connectors"]["site"]["updated"] == 0
    pages, news = site_state(wordpress_site, page, prefix)
    assert [p["id"] for p in pages] == [page_id] and len(news) == 1

    # A title changed by hand on the page is put back by the next sync, without news.
    auth = (wordpress_site.admin.username, wordpress_site.admin.app_password)
    content = pages[0]["content"]["raw"].replace(">Culture juridique<", ">Titre à la main<")
    httpx.post(
        f"{wordpress_site.rest}/pages/{page_id}", json={"content": content}, auth=auth
    ).raise_for_status()
    repaired = hub_json("sync", "--config", str(config))
    assert repaired["connectors"]["site"]["updated"] == 1 and repaired["changes"] == []
    pages, news = site_state(wordpress_site, page, prefix)
    assert ">Culture juridique<" in pages[0]["content"]["raw"] and len(news) == 1
