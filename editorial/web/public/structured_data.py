"""The page's schema.org MedicalWebPage as JSON-LD, safe to place inside a <script> element."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import SafeString, mark_safe

# As django.utils.html.json_script: nothing in the data can close the <script> element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
AI_ASSISTANCE = "Drafted with AI assistance"


def medical_web_page(
    *,
    title: str,
    url: str,
    version_number: int,
    first_published,
    published,
    references: list,
    summary: str,
    reviewers: list[str] | None,
    last_reviewed,
    machine_drafted: bool = False,
) -> dict:
    """The structured data of one version; `reviewers` only when the version's review stands."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": title,
        "headline": title,
        "url": url,
        "inLanguage": "en",
        "version": str(version_number),
        "datePublished": first_published,
        "dateModified": published,
        "publisher": {"@type": "Organization", "name": "Editorial"},
        "citation": [
            {
                "@type": "CreativeWork",
                "name": r.citation,
                **({"datePublished": str(r.year)} if r.year else {}),
                **({"url": r.link} if r.link else {}),
            }
            for r in references
        ],
    }
    if summary:
        data["description"] = summary[:500]
    if reviewers is not None:
        data["reviewedBy"] = [{"@type": "Person", "name": name} for name in reviewers]
        data["lastReviewed"] = last_reviewed.date().isoformat() if last_reviewed else None
    if machine_drafted:
        # schema.org has no property for "drafted by a model" on a CreativeWork (digitalSourceType is for
        # MediaObject). isBasedOn ("a resource from which this work is derived", range CreativeWork) names
        # the machine draft this version was edited from, as a CreativeWork still in creativeWorkStatus
        # "Draft"; creditText carries the sentence the page shows. Both are valid on a MedicalWebPage. The
        # model's name stays on the desk: readers are told how, not which vendor's model.
        data["isBasedOn"] = {
            "@type": "CreativeWork",
            "name": "Draft generated with AI assistance",
            "creativeWorkStatus": "Draft",
        }
        data["creditText"] = AI_ASSISTANCE
    return data


def json_ld(data: dict) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(text)  # `<`, `>` and `&` escaped: the data cannot end the <script> element
