"""Hostile annotation text comes back as inert JSON strings; the W3C Web Annotation (JSON-LD) export."""

import json

import pytest

from tests.annotations.helpers import ann_url, created, url

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(document.cookie)">'
SVG = "<svg onload=alert(1)></svg>&lt;b&gt;"


def test_hostile_bodies_and_replies_are_returned_as_plain_strings(api, article, board, author):
    made = created(api.as_user(board), article, EARLY, body=SCRIPT, kind="suggestion", suggestion=IMG)
    assert (made["body"], made["suggestion"]) == (SCRIPT, IMG)
    reply = api.as_user(author).post(ann_url(article, made["id"], "replies/"), {"body": IMG}, format="json")
    assert reply.status_code == 201 and reply.json()["body"] == IMG
    resolved = api.post(ann_url(article, made["id"], "resolve/"), {"body": SVG}, format="json")
    assert resolved.status_code == 200

    for path in (url(article, "annotations/"), ann_url(article, made["id"])):
        response = api.get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert response.get("X-Content-Type-Options") == "nosniff"
        data = response.json()
        annotation = data["results"][0] if "results" in data else data
        assert annotation["body"] == SCRIPT  # stored and returned as it was typed, not escaped, not stripped
        assert annotation["suggestion"] == IMG
        assert [r["body"] for r in annotation["replies"]] == [IMG, SVG]
        assert "text/html" not in response["Content-Type"]


def test_web_annotation_export(api, article, board, author):
    made = created(
        api.as_user(board), article, EARLY, kind="suggestion", body=SCRIPT, suggestion="Statins reduce LDL cholesterol"
    )
    api.as_user(author).post(ann_url(article, made["id"], "replies/"), {"body": IMG}, format="json")

    response = api.get(ann_url(article, made["id"]) + "?format=jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    doc = json.loads(response.content)
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["type"] == "Annotation"
    assert doc["id"].endswith(f"/api/v1/articles/{article.pk}/annotations/{made['id']}/")
    assert doc["id"].startswith("http")
    assert doc["motivation"] == "editing"
    assert doc["creator"]["nickname"] == "board1"

    bodies = doc["body"]
    assert all(b["type"] == "TextualBody" for b in bodies)
    assert [(b["value"], b["purpose"]) for b in bodies] == [
        (SCRIPT, "commenting"),
        ("Statins reduce LDL cholesterol", "editing"),
        (IMG, "replying"),
    ]
    assert all(b["format"] == "text/plain" for b in bodies)

    assert doc["target"]["source"].endswith(f"/api/v1/articles/{article.pk}/revisions/1/")
    assert doc["target"]["selector"] == made["target"]["selector"]
    kinds = [s["type"] for s in doc["target"]["selector"]]
    assert kinds == ["TextQuoteSelector", "TextPositionSelector"]
    assert doc["editorial:status"] == "open" and doc["editorial:kind"] == "suggestion"


def test_motivations(api, article, board):
    api.as_user(board)
    for kind, motivation in (("comment", "commenting"), ("citation_needed", "questioning"), ("safety", "assessing")):
        made = created(api, article, EARLY, kind=kind)
        doc = api.get(ann_url(article, made["id"]) + "?format=jsonld").json()
        assert doc["motivation"] == motivation
        assert doc["editorial:blocking"] is (kind == "safety")


def test_export_follows_the_revision_asked_for(api, build, board, author):
    article = build("changes_requested")
    made = created(api.as_user(board), article, EARLY)
    api.as_user(author).patch(url(article), {"body": "Intro.\n\n" + article.current_revision.body}, format="json")
    on_2 = api.get(ann_url(article, made["id"]) + "?format=jsonld").json()
    on_1 = api.get(ann_url(article, made["id"]) + "?format=jsonld&revision=1").json()
    assert on_1["target"]["selector"] == made["target"]["selector"]
    assert on_2["target"]["source"].endswith("/revisions/2/")
    assert on_2["target"]["selector"][1]["start"] == made["target"]["selector"][1]["start"] + len("Intro.\n\n")
