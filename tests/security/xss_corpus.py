"""A corpus of known XSS payloads, written out and generated from tables of vectors x contexts.

Every payload sets a marker if it ever runs: `window.__xss=1` (checked by the browser test) or `alert(1)`
(a dialog the browser test listens for). Families (see FAMILIES for the counts):

- script: `<script>` in its spellings, cases, encodings and nestings;
- handler: event handlers on many tags, in many quoting and separator styles;
- breakout: closing an attribute, a raw-text element or a comment, then a tag;
- url: `javascript:`, `vbscript:` and `data:` URLs (in their case, entity and whitespace tricks) in every
  URL-bearing position: Markdown inline, titled, reference-style, autolink and image links, and raw `<a href>`,
  `<iframe src>`, `<form action>`, `<button formaction>`, `<object data>`, `<embed src>`, `<base href>`,
  `<meta http-equiv=refresh>`, SVG/MathML `xlink:href` and more;
- svg_math: SVG and MathML vectors and the known mutation-XSS (mXSS) namespace confusions;
- json_ld: `</script>` and `<!--` meant to end the JSON-LD `<script>` of the public page;
- css: `<style>`, `@import`, `url(javascript:)`, `expression()`, style attributes;
- markdown: Markdown constructs wrapping markup (code, emphasis, tables, headings, citations);
- template: server- and client-side template injection (`{{ }}`, `{% %}`, `${}`), htmx attributes;
- unicode: direction overrides (U+202E, U+2066-2069), zero-width and invisible characters, full-width forms.

NUL_PAYLOADS hold a NUL character: the API and Django forms refuse NUL in any text (400), so they are
tested apart. URL_FIELD_PAYLOADS are the values tried in a reference's URL field.
"""

from __future__ import annotations

import base64
import re

J = "window.__xss=1"  # the marker the browser test reads
A = "alert(1)"  # the dialog the browser test listens for

# -- script ---------------------------------------------------------------------------------------------------

_SCRIPT = [
    f"<script>{J}</script>",
    f"<script>{A}</script>",
    f"<SCRIPT>{J}</SCRIPT>",
    f"<ScRiPt>{J}</sCrIpT>",
    f'<script type="text/javascript">{J}</script>',
    f'<script type="module">{J}</script>',
    f"<script language=javascript>{J}</script>",
    f"<script >{J}</script >",
    f"<script/x>{J}</script>",
    f"<script\n>{J}</script\n>",
    f"<script\t>{J}</script>",
    f"<script\x0c>{J}</script>",
    f"<script/src=data:,{J}></script>",
    f'<script src="data:text/javascript,{J}"></script>',
    f"<script src=//evil.example/x.js></script><script>{J}</script>",
    f"<<script>{J}//<</script>",
    f"<scr<script>ipt>{J}</scr</script>ipt>",
    f"<scri<!-- -->pt>{J}</script>",
    f"<script>{J}</script",
    f"<script>{J}<!--",
    f'<script x=">">{J}</script>',
    f"<script>/*</script><script>*/{J}</script>",
    f"<script>{J}</script><script>{A}</script>",
    f"%3Cscript%3E{J}%3C/script%3E",
    f"&lt;script&gt;{J}&lt;/script&gt;",
    f"&#60;script&#62;{J}&#60;/script&#62;",
    f"&#x3c;script&#x3e;{J}&#x3c;/script&#x3e;",
    f"\\u003cscript\\u003e{J}\\u003c/script\\u003e",
    f"\\x3cscript\\x3e{J}\\x3c/script\\x3e",
    f'<noscript><p title="</noscript><script>{J}</script>">',
    f"<template><script>{J}</script></template>",
    f"<textarea></textarea><script>{J}</script>",
    f"<title></title><script>{J}</script>",
    f"<xmp></xmp><script>{J}</script>",
    f"<plaintext></plaintext><script>{J}</script>",
    f'<iframe srcdoc="<script>{J}</script>"></iframe>',
    f'<iframe srcdoc="&lt;script&gt;{J}&lt;/script&gt;"></iframe>',
    f'<object data="data:text/html,<script>{J}</script>"></object>',
    f"<div><script>{J}</script></div>",
    f"<p>text <script>{J}</script> text</p>",
]

# -- handler: event handlers on many tags -------------------------------------------------------------------------

_HANDLER_TAGS = [
    "a",
    "abbr",
    "b",
    "blockquote",
    "body",
    "button",
    "code",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "html",
    "i",
    "input",
    "label",
    "li",
    "marquee",
    "p",
    "pre",
    "select",
    "span",
    "strong",
    "sup",
    "table",
    "td",
    "textarea",
    "u",
    "x",
    "custom-element",
]
_HANDLER_STYLES = [
    ("img src=x onerror={}", "unquoted"),
    ('img src=x onerror="{}"', "double"),
    ("img src=x onerror='{}'", "single"),
    ("img src=x onerror=`{}`", "backtick"),
    ("img/src=x/onerror={}", "slashes"),
    ("img\nsrc=x\nonerror={}", "newlines"),
    ("img\tsrc=x\tonerror={}", "tabs"),
    ("IMG SRC=x ONERROR={}", "upper"),
    ("img src=x onerror  =  {}", "spaced"),
    ('img src="x" onerror="&#119;indow.__xss=1"', "entity"),
    ('img src=x:x onerror="javascript:{}"', "label"),
    ("img src onerror={}", "empty src"),
    ("img src=x onerror={} x", "trailing"),
    ('img src=x """ onerror={}', "quotes"),
    ("image src=x onerror={}", "image"),
]
_SPECIAL_HANDLERS = [
    f"<svg onload={J}>",
    f"<svg/onload={J}>",
    f"<body onload={J}>",
    f"<body onpageshow={J}>",
    f"<iframe onload={J}></iframe>",
    f"<iframe src=x onerror={J}></iframe>",
    f"<object data=x onerror={J}></object>",
    f"<input autofocus onfocus={J}>",
    f"<input onblur={J} autofocus><input autofocus>",
    f"<select autofocus onfocus={J}></select>",
    f"<textarea autofocus onfocus={J}></textarea>",
    f"<button autofocus onfocus={J}>b</button>",
    f"<keygen autofocus onfocus={J}>",
    f"<details open ontoggle={J}>d</details>",
    f"<video src=x onerror={J}></video>",
    f"<video><source onerror={J}></video>",
    f"<audio src=x onerror={J}></audio>",
    f"<marquee onstart={J}>m</marquee>",
    f"<div onanimationstart={J} style=animation-name:x>a</div>",
    f"<div contenteditable onfocus={J} autofocus>c</div>",
    f"<a onfocus={J} autofocus href=#>a</a>",
    f"<form><button formaction=x onclick={J}>b</button></form>",
    f"<frameset onload={J}>",
    f"<isindex type=image src=x onerror={J}>",
    f"<table background=x onerror={J}>",
    f"<link rel=stylesheet href=x onerror={J}>",
    f"<style onload={J}></style>",
    f"<bgsound src=x onerror={J}>",
    f"<img src=x onerror={J}//",
    f"<img src=x onerror={J}",
    f"<img src=x onerror={A}>",
    f"<svg><animate onbegin={J} attributeName=x dur=1s>",
    f'<x contenteditable onblur="{J}">',
    f"<a href=# onclick={A}>click</a>",
    f'<p onmouseover="{J}">hover</p>',
    f'<div onpointerenter="{J}">p</div>',
    f'<body onhashchange="{J}">',
    f'<body onbeforeprint="{J}">',
    f'<img src=x oNeRrOr="{J}">',
    f'<img src=x onerror\x0c="{J}">',
]


def _handler_matrix() -> list[str]:
    out = []
    for tag in _HANDLER_TAGS:
        out.append(f"<{tag} onmouseover={J}>{tag}</{tag}>")
        out.append(f'<{tag} onclick="{J}" tabindex=1>{tag}</{tag}>')
    return out


# The same two handlers on many tags: what differs is only the tag, which matters to a sanitiser, not to escaping.
HANDLER_MATRIX = _handler_matrix()


def _handlers() -> list[str]:
    return [f"<{pattern.format(J)}>" for pattern, _ in _HANDLER_STYLES] + HANDLER_MATRIX + _SPECIAL_HANDLERS


# -- breakout: out of an attribute, a raw-text element or a comment ------------------------------------------------

_BREAKOUT_PREFIXES = [
    '">',
    "'>",
    '"/>',
    "`>",
    "-->",
    "]]>",
    '"></a>',
    "'></a>",
    "</title>",
    "</textarea>",
    "</style>",
    "</noscript>",
    "</option></select>",
    "</iframe>",
    "</code></pre>",
]
_BREAKOUT_TAILS = [f"<img src=x onerror={J}>", f"<svg onload={J}>", f"<script>{J}</script>"]
_ATTRIBUTE_INJECTIONS = [
    f'" autofocus onfocus={J} x="',
    f"' autofocus onfocus={J} x='",
    f'" onmouseover="{J}',
    f"' onmouseover='{J}",
    f'x" onerror="{J}',
    f'" onfocus="{J}" autofocus="',
    f'"onmouseover={J}//',
    f'javascript:{J}//" onclick={J}//',
    f'" style="x:expression({J})',
    f'"><a href="javascript:{J}">x</a>',
]


def _breakouts() -> list[str]:
    return [prefix + tail for prefix in _BREAKOUT_PREFIXES for tail in _BREAKOUT_TAILS] + _ATTRIBUTE_INJECTIONS


# -- url: dangerous schemes in every URL-bearing position ----------------------------------------------------------

_B64_HTML = base64.b64encode(f"<script>{J}</script>".encode()).decode()
# Each a URL that runs the marker when followed or loaded.
URL_VECTORS = [
    f"javascript:{J}",
    f"javascript:{A}",
    f"JaVaScRiPt:{J}",
    f"JAVASCRIPT:{J}",
    f" javascript:{J}",
    f"\tjavascript:{J}",
    f"\x01javascript:{J}",
    f"jav\tascript:{J}",
    f"jav&#x09;ascript:{J}",
    f"jav&#9;ascript:{J}",
    f"jav&#x0A;ascript:{J}",
    f"jav&#x0D;ascript:{J}",
    f"&#106;avascript:{J}",
    f"&#x6A;avascript:{J}",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058" + J,
    f"javascript&colon;{J}",
    f"javascript&#58;{J}",
    f"javascript&#x3a;{J}",
    f"javascript://%0a{J}",
    f"javascript:/**/{J}",
    f"vbscript:{A}",
    f"VBScript:{A}",
    f"data:text/html,<script>{J}</script>",
    f"data:text/html;base64,{_B64_HTML}",
    f"DATA:text/html,<script>{J}</script>",
    f"data:image/svg+xml,<svg onload={J}>",
    f"data:text/javascript,{J}",
    f"data:,{J}",
    f"livescript:{J}",
]
# The vectors placed in every raw-HTML URL position (the table below); all of them in every Markdown position.
_CORE_URL_VECTORS = [
    f"javascript:{J}",
    f"JaVaScRiPt:{J}",
    f"jav&#x09;ascript:{J}",
    f"&#106;avascript:{J}",
    f"vbscript:{A}",
    f"data:text/html,<script>{J}</script>",
]


def _md_title_link(url: str) -> str:
    return f'[titled]({url} "title")'


MARKDOWN_URL_POSITIONS = {
    "inline link": lambda url: f"[x]({url})",
    "titled link": _md_title_link,
    "angle link": lambda url: f"[x](<{url}>)",
    "reference link": lambda url: f"[ref][r1]\n\n[r1]: {url}",
    "autolink": lambda url: f"<{url}>",
    "image": lambda url: f"![x]({url})",
}
HTML_URL_POSITIONS = {
    "a href": lambda url: f'<a href="{url}">x</a>',
    "a href unquoted": lambda url: f"<a href={url.replace(' ', '%20')}>x</a>",
    "iframe src": lambda url: f'<iframe src="{url}"></iframe>',
    "form action": lambda url: f'<form action="{url}"><button>go</button></form>',
    "button formaction": lambda url: f'<form><button formaction="{url}">go</button></form>',
    "object data": lambda url: f'<object data="{url}"></object>',
    "embed src": lambda url: f'<embed src="{url}">',
    "base href": lambda url: f'<base href="{url}"><a href="x">x</a>',
    "meta refresh": lambda url: f'<meta http-equiv="refresh" content="0;url={url}">',
    "svg xlink:href": lambda url: f'<svg><a xlink:href="{url}"><text y="20">x</text></a></svg>',
    "math href": lambda url: f'<math href="{url}">x</math>',
    "img src": lambda url: f'<img src="{url}">',
    "area href": lambda url: f'<map name=m><area href="{url}" shape=default></map>',
    "input formaction": lambda url: f'<input type=submit formaction="{url}">',
}


def _urls() -> list[str]:
    out = []
    for position in MARKDOWN_URL_POSITIONS.values():
        out += [position(url) for url in URL_VECTORS]
    for position in HTML_URL_POSITIONS.values():
        out += [position(url) for url in _CORE_URL_VECTORS]
    return out


# -- svg_math: SVG, MathML and mutation XSS ----------------------------------------------------------------------

_SVG_MATH = [
    f"<svg><script>{J}</script></svg>",
    f"<svg><script href=data:,{J} /></svg>",
    f"<svg><script xlink:href=data:,{J}></script></svg>",
    f"<svg><a><animate attributeName=href values=javascript:{J} /><text x=20 y=20>X</text></a></svg>",
    f"<svg><set attributeName=onmouseover to={J} /></svg>",
    f"<svg><animate attributeName=onload values={J} begin=0s /></svg>",
    f'<svg><foreignObject><iframe srcdoc="<script>{J}</script>"></iframe></foreignObject></svg>',
    f"<svg><foreignObject><img src=x onerror={J}></foreignObject></svg>",
    f"<svg><style><img src=x onerror={J}></style></svg>",
    f'<svg></p><style><a id="</style><img src=1 onerror={J}>">',
    f"<svg><desc><![CDATA[</desc><script>{J}</script>]]></svg>",
    f"<svg><title><![CDATA[</title><script>{J}</script>]]></svg>",
    f"<svg><image href=x onerror={J} /></svg>",
    f"<svg><discard onbegin={J} />",
    f"<svg><animatetransform onbegin={J} attributeName=transform />",
    f"<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    f"<image href='1' onerror='{J}'/></svg>#x\" /></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={J}>",
    f'<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;'
    f'onerror={J}&gt;">',
    f"<form><math><mtext></form><form><mglyph><style></math><img src onerror={J}>",
    f'<math><mi xlink:href="javascript:{J}">m</mi></math>',
    f"<math><maction actiontype=statusline xlink:href=javascript:{J}>x</maction></math>",
    f'<math><annotation-xml encoding="text/html"><img src=x onerror={J}></annotation-xml></math>',
    f"<math><style><img src=x onerror={J}></style></math>",
    f'<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style><img src onerror={J}>">',
    f'<svg><p><style><g title="</style><img src=x onerror={J}>">',
    f"<table><svg><img src=x onerror={J}>",
    f"<svg><![CDATA[><img src=x onerror={J}>]]></svg>",
    f'<svg><handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">{J}</handler></svg>',
    f'<svg xmlns="http://www.w3.org/2000/svg" onload="{J}"/>',
    f'<svg><feImage xlink:href="javascript:{J}" /></svg>',
]

# -- json_ld: out of the public page's JSON-LD <script> ------------------------------------------------------------

_JSON_LD = [
    f"</script><script>{J}</script>",
    f"</SCRIPT><script>{J}</script>",
    f"</script ><img src=x onerror={J}>",
    f"</script\n><img src=x onerror={J}>",
    f"</script/x><svg onload={J}>",
    f"<!--<script>{J}</script>",
    f"<!--</script><script>{J}//-->",
    f'"}}</script><script>{J}</script>',
    f'"}},"x":"</script><img src=x onerror={J}>',
    f"<\\/script><script>{J}</script>",
    f"]]></script><script>{J}</script>",
    f"\u2028</script><script>{J}</script>",
    f"\\u003c/script\\u003e<script>{J}</script>",
    f"&lt;/script&gt;<script>{J}</script>",
    f'\\"}}]}}</script><script>{J}</script>',
]

# -- css -------------------------------------------------------------------------------------------------------

_CSS = [
    f"<style>@import 'javascript:{J}';</style>",
    f'<style>@import url("data:text/css,*{{x:expression({J})}}");</style>',
    f'<style>body{{background:url("javascript:{J}")}}</style>',
    f'<style>li{{list-style-image:url("javascript:{J}")}}</style>',
    f"<style>*{{-moz-binding:url(\"data:text/xml,<x onload='{J}'/>\")}}</style>",
    f"<style>/*</style><img src=x onerror={J}>*/</style>",
    f'<style>@keyframes x{{}}</style><div style="animation-name:x" onanimationstart="{J}"></div>',
    f'<div style="background:url(javascript:{J})">x</div>',
    f'<div style="background-image:url(&#1;javascript:{J})">x</div>',
    f'<p style="x:expression({J})">x</p>',
    f'<p style="width:expression({J})">x</p>',
    f'<span style="behavior:url(x.htc)" onmouseover="{J}">x</span>',
    f'<link rel=stylesheet href="javascript:{J}">',
    f'<link rel=import href="data:text/html,<script>{J}</script>">',
    f'<table background="javascript:{J}"><tr><td>x</td></tr></table>',
    f'<a href="https://example.org/" style="position:fixed;inset:0" onclick="{J}">overlay</a>',
]

# -- markdown: Markdown wrapping markup ------------------------------------------------------------------------------

_MARKDOWN = [
    f"`<script>{J}</script>`",
    f"``<img src=x onerror={J}>``",
    f"    <script>{J}</script>",
    f"```\n<script>{J}</script>\n```",
    f"*<img src=x onerror={J}>*",
    f"_<svg onload={J}>_",
    f'**<a href="javascript:{J}">bold</a>**',
    f"# <script>{J}</script>",
    f"## [heading](javascript:{J})",
    f'> <iframe src="javascript:{J}"></iframe>',
    f'- <a href="javascript:{J}">item</a>',
    f"1. [item](javascript:{J})",
    f"| a | b |\n|---|---|\n| <img src=x onerror={J}> | [c](javascript:{J}) |",
    f'<div markdown="1">[x](javascript:{J})</div>',
    f"[1](javascript:{J})",
    f"[12]: javascript:{J}\n\nSee [text][12] and [12].",
    f'[x](#" onclick="{J})',
    f'[x](https://example.org/"onmouseover="{J})',
    f'![x](x"onerror="{J})',
    f'![x](https://example.org/x.png "\\" onerror=\\"{J}")',
    f'[x](https://example.org/ "title\\" onmouseover=\\"{J}")',
    f"[<img src=x onerror={J}>](https://example.org/)",
    f"[x]( javascript:{J} )",
    f"[x](javascript:{J}\n)",
    f'<a href="https://example.org/" title="x&quot; onclick=&quot;{J}">t</a>',
    f'<abbr title="x" onmouseover={J}>abbr</abbr>',
    f'<td align="left" onclick={J}>cell</td>',
    f'<a class="citation" href="javascript:{J}">[1]</a>',
    f'<sup class="citation" onclick={J}>[1]</sup>',
    f'<a href="mailto:x@example.org?body=<script>{J}</script>">mail</a>',
    f"Text<!--<img src=x onerror={J}>-->text",
    f"<![CDATA[<script>{J}</script>]]>",
    f'<?xml-stylesheet href="javascript:{J}"?>',
    f"<x onclick={J}>click</x>",
]

# -- template: template injection and htmx attributes ----------------------------------------------------------------

_TEMPLATE = [
    f"{{{{ '<script>{J}</script>'|safe }}}}",
    f"{{% autoescape off %}}<script>{J}</script>{{% endautoescape %}}",
    f"{{% if 1 %}}<script>{J}</script>{{% endif %}}",
    f"{{{{constructor.constructor('{J}')()}}}}",
    f"{{{{'a'.constructor.prototype.charAt=[].join;$eval('x=1}} }} }};{J}//');}}}}",
    f"{{{{7*7}}}}<img src=x onerror={J}>",
    f"{{% debug %}}<img src=x onerror={J}>",
    f"{{% load log %}}{{% get_admin_log 10 as log %}}<script>{J}</script>",
    f"{{{{ settings.SECRET_KEY }}}}<svg onload={J}>",
    f"${{{J}}}",
    f"#{{{J}}}",
    f"<%= {J} %>",
    f"[[${{{J}}}]]",
    f'{{{{#with "s" as |string|}}}}{{{{{J}}}}}{{{{/with}}}}',
    f'<div hx-on:click="{J}">htmx</div>',
    f'<div data-hx-on:load="{J}">htmx</div>',
    f'<div hx-get="javascript:{J}" hx-trigger="load">htmx</div>',
    f'<div hx-vals=\'js:{{x:{J}}}\' hx-post="/" hx-trigger="load">htmx</div>',
    f'<button hx-on::before-request="{J}" hx-get="/">htmx</button>',
    f'<div x-data x-init="{J}">alpine</div>',
    f'<div ng-app ng-csp><div ng-focus="{J}" tabindex=0 autofocus>angular</div></div>',
]

# -- unicode: direction overrides, invisible characters, look-alikes -------------------------------------------------

_UNICODE = [
    f"\u202e<script>{J}</script>",
    f"\u202egnp.<img src=x onerror={J}>",
    f"[x](\u202ejavascript:{J})",
    f'<a href="\u202ejavascript:{J}">rlo</a>',
    f"\u2066<img src=x onerror={J}>\u2069",
    f"\u2067<svg onload={J}>\u2069",
    f"\u2068<script>{J}</script>\u2069",
    f"\u202d<iframe src=javascript:{J}>\u202c",
    f"\u200b<script>{J}</script>",
    f"<scr\u200bipt>{J}</scr\u200bipt>",
    f"[x](java\u200bscript:{J})",
    f'<a href="java\u200bscript:{J}">zwsp</a>',
    f"[x](jav\u00adascript:{J})",
    f"\ufeff<script>{J}</script>",
    f"[x](\ufeffjavascript:{J})",
    f"<img src=x \u200conerror={J}>",
    f"\u200d<img src=x onerror={J}>",
    f"\u2060<svg onload={J}>",
    f"\uff1cscript\uff1e{J}\uff1c/script\uff1e",
    f"\uff1cimg src=x onerror={J}\uff1e",
    f"<img src=x onerror\u3000={J}>",
    f"\u2029<script>{J}</script>",
    f'<a href="\u00a0javascript:{J}">nbsp</a>',
    f"[x](\u00a0javascript:{J})",
    f"\u02ba><script>{J}</script>",
    f"<\u017fcript>{J}</\u017fcript>",
    f"\u0131<img src=x onerror={J}>",
    '<img src=x onerror="\\u0077indow.__xss=1">',
]

FAMILIES = {
    "script": _SCRIPT,
    "handler": _handlers(),
    "breakout": _breakouts(),
    "url": _urls(),
    "svg_math": _SVG_MATH,
    "json_ld": _JSON_LD,
    "css": _CSS,
    "markdown": _MARKDOWN,
    "template": _TEMPLATE,
    "unicode": _UNICODE,
}


def _distinct(families: dict[str, list[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for payloads in families.values():
        for payload in payloads:
            seen.setdefault(payload, None)
    return tuple(seen)


PAYLOADS: tuple[str, ...] = _distinct(FAMILIES)

# A NUL byte: refused (400) by every text field of the API and of Django's forms, so never stored.
NUL_PAYLOADS = (
    f"java\x00script:{J}",
    f"[x](java\x00script:{J})",
    f"<scr\x00ipt>{J}</script>",
    f"<img src=x onerror\x00={J}>",
    f'<a href="java\x00script:{J}">nul</a>',
)

# Values for a reference's URL field (http/https only): dangerous schemes, which must be refused, and http(s)
# URLs carrying markup, which may be stored but must stay inside the href.
URL_FIELD_PAYLOADS = (
    *URL_VECTORS,
    f"javascript://example.org/%0a{J}",
    f"https:javascript:{J}",
    f"http://javascript:{J}",
    f'https://example.org/"><script>{J}</script>',
    f"https://example.org/'><img/src=x/onerror={J}>",
    f'https://example.org/?q="onmouseover="{J}',
    f"https://example.org/#</script><script>{J}</script>",
    f"https://example.org/<svg/onload={J}>",
    f"https://example.org/%22%3E%3Cscript%3E{J}%3C/script%3E",
    f'https://example.org/" autofocus onfocus="{J}',
    f"//evil.example/{J}",
)

SENTINEL = re.compile(r"z([A-Z]{2})(\d{3})z")


def sentinel(code: str, index: int) -> str:
    """The token that marks payload `index` in field `code` (two capitals) wherever it is shown."""
    return f"z{code}{index:03d}z"


def has_line_break(payload: str) -> bool:
    return len(payload.splitlines()) > 1 or payload.endswith(("\n", "\r"))
