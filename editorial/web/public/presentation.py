"""What the public page shows, shaped for its template: the body fitted under the page's heading, references
with safe links, printed names, the review stepper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from articles.models import Reference
from reviewers.models import ReviewStatus

_HEADING = re.compile(r"<(/?)h([1-6])>")
_HREFLESS_LINK = '<a rel="noopener noreferrer nofollow">'


def fit_to_page(html: str) -> str:
    """Sanitised body HTML as it sits in the page, still sanitised.

    The page's <h1> is the question, so the body's headings are re-levelled under it: the outermost become
    <h2>, each nested one a level deeper, and no level is skipped (`#` then `###` becomes h2 then h3).
    A link whose unsafe URL the sanitiser dropped keeps only its `rel`, which HTML allows only with an href.
    Both are exact-tag rewrites, safe on the sanitiser's output: it writes these tags without attributes
    (headings) or in this one form (the link), and any `<` in text is escaped.
    """
    html = html.replace(_HREFLESS_LINK, "<a>")
    open_levels: list[int] = []  # the original levels of the headings enclosing the current one

    def relevel(match: re.Match) -> str:
        closing, original = match.group(1), int(match.group(2))
        if closing:
            return f"</h{min(2 + len(open_levels) - 1, 6)}>"
        while open_levels and open_levels[-1] >= original:
            open_levels.pop()
        open_levels.append(original)
        return f"<h{min(2 + len(open_levels) - 1, 6)}>"

    return _HEADING.sub(relevel, html)


def safe_http_url(url: str) -> str:
    """An http(s) URL to link to, or "" (a `javascript:` or other scheme is never linked)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


@dataclass
class ReferenceView:
    number: int
    kind: str
    citation: str
    year: int | None
    doi: str
    doi_url: str
    pmid: str
    pmid_url: str
    url: str

    @property
    def link(self) -> str:
        return self.doi_url or self.pmid_url or self.url


def reference_view(reference: Reference) -> ReferenceView:
    doi = reference.doi.strip()
    pmid = reference.pmid.strip()
    return ReferenceView(
        number=reference.number,
        kind=reference.kind,
        citation=reference.citation,
        year=reference.year,
        doi=doi,
        doi_url=f"https://doi.org/{quote(doi, safe='/:;()._-')}" if doi else "",
        pmid=pmid,
        pmid_url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid.isdigit() else "",
        url=safe_http_url(reference.url),
    )


def names(printed: list[str]) -> str:
    """Printed names with credentials contain commas ("Jane Roe, MD"), so they are joined with "and"/";"."""
    printed = [n for n in printed if n]
    if len(printed) <= 2:
        return " and ".join(printed)
    return "; ".join(printed[:-1]) + " and " + printed[-1]


def stepper(review_status: str) -> list[dict]:
    """The Submitted → Under Review → Approved steps, each done, current or to come."""
    keys = list(ReviewStatus.values)
    current = keys.index(review_status)
    approved = review_status == ReviewStatus.APPROVED
    return [
        {
            "key": key,
            "label": label,
            "current": i == current,
            "css": " ".join(name for name, on in (("done", i < current or approved), ("current", i == current)) if on),
        }
        for i, (key, label) in enumerate(ReviewStatus.choices)
    ]
