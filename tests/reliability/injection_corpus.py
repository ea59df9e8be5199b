"""Payloads a person (or a vandal) may type into a title, a description, a venue, a host name or
a question, for every format the hub writes: HTML (the page, WordPress, HumHub, Telegram's HTML
parse mode), Markdown (Talk, HumHub), iCalendar (the export, CalDAV) and shortcodes.

Each must reach every sink as the text it is, shown, never as markup, a link, a script, a
shortcode or an extra property. Every payload fits a title (at most 200 characters).
"""

from __future__ import annotations

PAYLOADS: tuple[str, ...] = (
    # HTML: tags, event handlers, URLs
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    "' onmouseover='alert(1)' x='",
    '<a href="javascript:alert(1)">clic</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<b>gras</b> <i>italique</i> <u>souligné</u>",
    "</li></ul><h1>Faux titre</h1>",
    "<!-- commentaire --> <![CDATA[ x ]]>",
    "&lt;script&gt; &amp;amp; &#60;b&#62; &#x3C;i&#x3E;",
    # Telegram HTML entities and tags of its parse mode
    '<tg-spoiler>caché</tg-spoiler> <a href="tg://user?id=1">lien</a>',
    '<pre><code class="language-js">x</code></pre> <blockquote>c</blockquote>',
    "&quot;&apos;&nbsp;&unknown; & < >",
    # Markdown: links, images, emphasis, code, autolinks, raw HTML
    "[cliquez ici](javascript:alert(1))",
    "![image](https://evil.example/x.png)",
    "[lien](https://evil.example/ \"titre\")",
    "<https://evil.example/> <javascript:alert(1)>",
    "**gras** __souligné__ *italique* _x_ ~~barré~~ `code`",
    "[ref]: https://evil.example/\n[ref]",
    "# Titre\n> citation\n- liste\n1. un",
    "\\*échappé\\* \\[x\\](y)",
    "@all @everyone {mention-user1}",
    # shortcodes (WordPress) and templates
    '[embed]https://evil.example/[/embed] [gallery ids="1"]',
    "[caption]<script>alert(1)</script>[/caption]",
    "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    # iCalendar: line breaks, property injection, escapes
    "Titre\r\nDTSTART:20000101T000000Z\r\nX-EVIL:1",
    "Titre\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:faux",
    "a;b,c\\d:e",
    # CR/LF, control-looking and direction characters
    "ligne\r\ndeux\rtrois\nquatre",
    "\u202eevil\u202c \u200b\u200d\ufeff",
    "javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
)
