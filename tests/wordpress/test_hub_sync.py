"""``hub sync`` end to end on the real WordPress: one page, one news post per change."""

from __future__ import annotations

import html
import json
import re
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


def test_a_change_made_undone_and_made_again_is_posted_each_time(
    tmp_path: Path, wordpress_site: Site
) -> None:
    """14 h -> 15 h, back to 14 h, and to 15 h again: three news posts, the third with the same
    text as the first (an announcement is one publication, not one text)."""
    page, prefix = f"programme-{secrets.token_hex(3)}", f"changes-{secrets.token_hex(3)}"
    config = write_config(tmp_path, site_section(wordpress_site, page, prefix))
    (tmp_path / "wordpress.secret").write_text(wordpress_site.admin.app_password + "\n")
    hub_json("sync", "--config", str(config))
    times = [("15:00", "17:30"), ("14:00", "16:30"), ("15:00", "17:30")]
    for count, (start, end) in enumerate(times, start=1):
        edit_programme(
            tmp_path,
            "atelier-culture-juridique",
            start=f"2021-11-13T{start}",
            end=f"2021-11-13T{end}",
        )
        report = hub_json("sync", "--config", str(config))
        assert len(report["changes"]) == 1 and report["connectors"]["site"]["failed"] == 0
        _pages, news = site_state(wordpress_site, page, prefix)
        assert len(news) == count, [p["slug"] for p in news]
        rerun = hub_json("sync", "--config", str(config))
        assert rerun["changes"] == []
        assert len(site_state(wordpress_site, page, prefix)[1]) == count
    _pages, news = site_state(wordpress_site, page, prefix)
    texts = sorted(p["content"]["raw"].count("déplacé de 14 h à 15 h") for p in news)
    assert texts == [0, 1, 1]
    assert len({p["slug"] for p in news}) == 3


def test_a_shortcode_typed_in_the_programme_shows_as_text_and_is_written_once(
    tmp_path: Path, wordpress_site: Site
) -> None:
    """A title ``[audio src=...]``: the visitor reads it as typed (no player), the news post says
    it as typed, and the sync after that writes nothing: the hub's own page is no hand edit."""
    page, prefix = f"programme-{secrets.token_hex(3)}", f"changes-{secrets.token_hex(3)}"
    config = write_config(tmp_path, site_section(wordpress_site, page, prefix))
    (tmp_path / "wordpress.secret").write_text(wordpress_site.admin.app_password + "\n")
    hub_json("sync", "--config", str(config))
    code = '[audio src="https://x/y.mp3"]'
    edit_programme(tmp_path, "atelier-culture-juridique", title=f"'{code}'")
    report = hub_json("sync", "--config", str(config))
    assert report["connectors"]["site"]["updated"] == 1 and report["problems"] == []
    public = httpx.get(f"{wordpress_site.url}/{page}/", timeout=30).text
    assert "<audio" not in public and "wp-audio-shortcode" not in public
    shown = public.split('id="session-atelier-culture-juridique"', 1)[1].split("</li>", 1)[0]
    assert html.unescape(re.sub(r"<[^>]*>", "", shown)).count(code) == 1
    _pages, news = site_state(wordpress_site, page, prefix)
    assert len(news) == 1 and "[" not in news[0]["content"]["raw"]
    post = httpx.get(news[0]["link"], timeout=30).text
    assert "<audio" not in post and code in html.unescape(re.sub(r"<[^>]*>", "", post))

    pages, _news = site_state(wordpress_site, page, prefix)
    for _ in range(2):
        again = hub_json("sync", "--config", str(config))
        assert again["changes"] == [] and again["problems"] == []
        site = again["connectors"]["site"]
        assert (site["created"], site["updated"], site["deleted"]) == (0, 0, 0)
    after, _news = site_state(wordpress_site, page, prefix)
    assert after[0]["modified_gmt"] == pages[0]["modified_gmt"]


def edit_event(folder: Path, title: str, theme: tuple[str, str]) -> None:
    """Rename the event and change one day's theme in the programme file, as an organiser would."""
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\n  title: Assemblée des communs\n", f"\n  title: {title}\n", 1)
    old, new = theme
    assert f"theme: {old}\n" in text
    path.write_text(text.replace(f"theme: {old}\n", f"theme: {new}\n", 1), encoding="utf-8")


def test_a_change_of_the_event_reaches_the_page_and_every_export_in_one_sync(
    tmp_path: Path, wordpress_site: Site
) -> None:
    """The event renamed and a day's theme changed in the programme file: one ``hub sync``
    rewrites the page once (no news post: no session changed) and the three exports; the sync
    after that writes nothing, and an idle one costs one request."""
    page, prefix = f"programme-{secrets.token_hex(3)}", f"changes-{secrets.token_hex(3)}"
    exports = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
    config = write_config(tmp_path, site_section(wordpress_site, page, prefix) + exports)
    (tmp_path / "wordpress.secret").write_text(wordpress_site.admin.app_password + "\n")
    hub_json("sync", "--config", str(config))
    hub_json("sync", "--config", str(config))  # reads the hub's own page back once
    (pages, _news) = site_state(wordpress_site, page, prefix)
    page_id = pages[0]["id"]

    edit_event(tmp_path, "Assemblée des communs de Marseille",
               ("Un vocabulaire commun", "Des mots pour nos communs"))
    report = hub_json("sync", "--config", str(config))
    assert report["changes"] == [] and report["problems"] == []
    site = report["connectors"]["site"]
    assert site["updated"] == 22 and site["failed"] == 0
    assert site["requests"] <= 3, "a look, one read and one write of the page, whatever the count"

    pages, news = site_state(wordpress_site, page, prefix)
    assert [p["id"] for p in pages] == [page_id] and news == []
    assert pages[0]["title"]["raw"] == "Programme – Assemblée des communs de Marseille"
    raw = pages[0]["content"]["raw"]
    assert '<span class="hub-theme">Des mots pour nos communs</span>' in raw
    assert "Un vocabulaire commun" not in raw
    modified = pages[0]["modified_gmt"]
    public = httpx.get(f"{wordpress_site.url}/{page}/", timeout=30).text
    assert "Des mots pour nos communs" in public

    folder = tmp_path / "public"
    ics = (folder / "programme.ics").read_bytes().decode("utf-8")
    assert "X-WR-CALNAME:Assemblée des communs de Marseille\r\n" in ics
    frab = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    assert frab["schedule"]["conference"]["title"] == "Assemblée des communs de Marseille"
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h1>Assemblée des communs de Marseille</h1>" in html
    assert "Vendredi 12 novembre : Des mots pour nos communs" in html
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "programme.ics", "programme.json"]

    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    for _ in range(2):
        again = hub_json("sync", "--config", str(config))
        for name in ("site", "exports"):
            figures = again["connectors"][name]
            assert (figures["created"], figures["updated"], figures["deleted"]) == (0, 0, 0), name
        assert again["connectors"]["site"]["requests"] == 1
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    pages, news = site_state(wordpress_site, page, prefix)
    assert pages[0]["modified_gmt"] == modified and news == []
