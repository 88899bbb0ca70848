"""A corpus of hostile post bodies and an HTML checker that says what survived."""

from __future__ import annotations

import re
from html.parser import HTMLParser

HOSTILE_INPUTS: list[str] = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(\'x\')">',
    "<IMG SRC=javascript:alert('XSS')>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">klik</a>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:red}</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "[klik](javascript:alert(1))",
    "[huruf campur](JaVaScRiPt:alert(1))",
    "[klik](  javascript:alert(1))",
    "[klik](java\tscript:alert(1))",
    "[klik](&#106;avascript:alert(1))",
    "[klik](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[klik](javascript&colon;alert(1))",
    "[klik](jav&#x0A;ascript:alert(1))",
    "[klik](%6A%61%76%61script:alert(1))",
    "[klik](vbscript:msgbox(1))",
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[klik](DATA:text/html,<script>alert(1)</script>)",
    "![gambar](javascript:alert(1))",
    "![gambar](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '<http://example.com/"onmouseover="alert(1)>',
    "[referensi][r]\n\n[r]: javascript:alert(1)",
    '[referensi][r]\n\n[r]: data:text/html,hai "judul"',
    '[a](http://x.test "judul\\" onmouseover=\\"alert(1)")',
    "[a](<javascript:alert(1)>)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "\\<script>alert(1)\\</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert('kode')</script>",
    "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
    "* <img src=x onerror=alert(1)>\n* [x](javascript:alert(1))",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "**[tebal](javascript:alert(1))**",
    "[![gambar](x)](javascript:alert(1))",
    '<a href="http://x" onclick="alert(1)">x</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "[x](javascript://%0Aalert(1))",
    "@anggota <img src=x onerror=alert(1)> @<script>",
    "[@anggota](javascript:alert(1))",
    "Markdown rusak **tanpa penutup [tautan(javascript:alert(1)",
    '<a href="&#14;javascript:alert(1)">x</a>',
    "[x](\u0001javascript:alert(1))",
    '<a href="java&#09;script:alert(1)">x</a>',
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
]

DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "base",
    "frame",
    "frameset",
    "applet",
    "link",
    "template",
    "noscript",
}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "srcset", "content"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|file):", re.I)


def _normalise_url(value: str) -> str:
    # Browsers drop ASCII whitespace and control characters inside the scheme.
    return "".join(ch for ch in value if ord(ch) > 0x20).lower()


class InertChecker(HTMLParser):
    """Collects what would execute. Scripts are allowed only as <script src="/static/...">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attrs_d = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            src = attrs_d.get("src", "")
            if not src.startswith("/static/"):
                self.problems.append(f"script element {attrs_d}")
            self._in_script = True
        elif tag == "link":
            # Our own: static files and the web app manifest (served at the root for its scope).
            href = attrs_d.get("href", "")
            if not (href.startswith("/static/") or href == "/manifest.webmanifest"):
                self.problems.append(f"link element {attrs_d}")
        elif tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and "http-equiv" in attrs_d and attrs_d["http-equiv"].lower() == "refresh":
            self.problems.append("meta refresh")
        for name, value in attrs_d.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRS and BAD_SCHEME.match(_normalise_url(value)):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script content")


def problems_in(html: str) -> list[str]:
    checker = InertChecker()
    checker.feed(html)
    checker.close()
    return checker.problems
