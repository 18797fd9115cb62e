"""The public article page: the question, sections, citations, the true review status of the version on
screen, reviewers, dates, banner, JSON-LD, robots, audience choice, version list; 404 and 410."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from articles.models import Article, PublishedVersion
from editorial.services import publishing, workflow
from reviewers.models import RevisionApproval
from tests.factories import PASSWORD, make_article, records_unprotected, reviewed_article, sign_decision

from .helpers import (
    BANNER,
    BOARD_STATEMENT,
    json_ld,
    new_version,
    page_url,
    references,
    stepper_status,
)

pytestmark = pytest.mark.django_db


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


def day(moment: datetime.datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def test_approved_page_shows_question_sections_citations_and_reviewers(client, approved_live, board):
    response = client.get(page_url(approved_live))
    assert response.status_code == 200
    html = response.content.decode()
    version = approved_live.live_version
    approval = RevisionApproval.objects.get(revision=version.revision)
    member = board.board_profile.display_name
    # The question is the title; the sections and the numbered citations are there.
    assert "<title>Do statins prevent heart attacks? · Editorial</title>" in html
    assert '<h1 id="article-title">Do statins prevent heart attacks?</h1>' in html
    assert "<h2>From the Guidelines</h2>" in html and "<h2>From the Research</h2>" in html
    assert 'href="#ref-1"' in html and 'href="#ref-2"' in html
    assert 'id="ref-1"' in html and 'id="ref-2"' in html
    # The reference list is split: the guideline under Guidelines, the trial under Research.
    guidelines, research = html.index(">Guidelines</h3>"), html.index(">Research</h3>")
    assert guidelines < html.index('id="ref-1"') < research < html.index('id="ref-2"')
    # Status, reviewers and dates, truthfully.
    assert stepper_status(html) == "approved"
    assert BANNER not in html
    assert f"Reviewed by {escape(member)} on" in html
    assert day(approval.approved_at) in html
    assert f'Last updated <time datetime="{version.published_at:%Y-%m-%dT%H:%M:%SZ}">' in html
    assert "Last reviewed <time" in html and day(fresh(approved_live).last_reviewed_at) in html
    assert "Approved for medical accuracy" in html and "Conflicts of interest: none declared" in html
    assert BOARD_STATEMENT in html and 'href="/editorial-policy/"' in html
    assert "not a substitute for professional medical" in html  # the disclaimer
    assert '<meta name="robots" content="noindex">' not in html


def test_json_ld_names_reviewers_and_last_reviewed(client, approved_live, board):
    html = client.get(page_url(approved_live)).content.decode()
    data = json_ld(html)
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalWebPage"
    assert data["name"] == "Do statins prevent heart attacks?"
    assert data["reviewedBy"] == [{"@type": "Person", "name": board.board_profile.display_name}]
    assert data["lastReviewed"] == fresh(approved_live).last_reviewed_at.date().isoformat()
    assert [c["name"] for c in data["citation"]] == [
        "ESC/EAS Guidelines for the management of dyslipidaemias",
        "Trial of statins in primary prevention",
    ]


def test_pending_version_has_banner_noindex_and_no_reviewer(client, pending_live):
    response = client.get(page_url(pending_live))
    assert response.status_code == 200
    html = response.content.decode()
    assert stepper_status(html) == "under_review"
    assert BANNER in html
    assert '<meta name="robots" content="noindex">' in html
    assert "Reviewed by" not in html and "Last reviewed" not in html
    assert "Not yet reviewed by the Medical Advisory Board" in html
    data = json_ld(html)
    assert "reviewedBy" not in data and "lastReviewed" not in data


def test_status_is_the_truth_now_for_each_version(client, author, editor, board, publish):
    article = reviewed_article(author, editor, [board], state="submitted", publication_policy="immediate")
    article = publish(article)
    assert stepper_status(client.get(page_url(article)).content.decode()) == "submitted"
    workflow.start_review(fresh(article), actor=editor)
    assert stepper_status(client.get(page_url(article)).content.decode()) == "under_review"
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    html = client.get(page_url(article)).content.decode()
    assert stepper_status(html) == "approved" and BANNER not in html
    # v2 goes out before its review: v2 is pending, v1 stays approved.
    article = new_version(
        fresh(article),
        author=author,
        body="## From the Guidelines\n\nUpdated [1].",
        references=references(1),
        change_summary="Updated the guidance",
    )
    article = publish(article)
    assert article.live_version.number == 2
    live_html = client.get(page_url(article)).content.decode()
    v2_html = client.get(page_url(article, 2)).content.decode()
    v1_html = client.get(page_url(article, 1)).content.decode()
    assert stepper_status(live_html) == stepper_status(v2_html) == "submitted"
    assert BANNER in live_html and BANNER in v2_html
    assert stepper_status(v1_html) == "approved" and BANNER not in v1_html
    assert "an earlier version of this article" in v1_html and 'href="/articles/' + article.slug + '/"' in v1_html


def test_version_list_links_each_version_with_its_change_summary(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", publication_policy="immediate"))
    article = publish(
        new_version(
            article, author=author, body="Only guidance [1].", references=references(1), change_summary="Shorter"
        )
    )
    html = client.get(page_url(article)).content.decode()
    v1, v2 = PublishedVersion.objects.filter(article=article).order_by("number")
    assert f'href="/articles/{article.slug}/v/2/" aria-current="page">v2</a>, updated' in html
    assert f'href="/articles/{article.slug}/v/1/">v1</a>, updated' in html
    assert f"{day(v2.published_at)}</time>: Shorter" in html
    assert f"{day(v1.published_at)}</time>: First draft" in html
    assert html.index("/v/2/") < html.index("/v/1/")  # newest first


def test_audience_choice_and_plain_language_summary(client, author, editor, board, publish):
    article = publish(
        reviewed_article(
            author,
            editor,
            [board],
            state="approved",
            plain_language_summary="Statins are pills that lower cholesterol.\n\nAsk your doctor.",
        )
    )
    html = client.get(page_url(article)).content.decode()
    assert "<legend>Which best describes you?</legend>" in html
    for value, label in (
        ("professional", "Healthcare professional"),
        ("patient", "Patient or caregiver"),
        ("student", "Student"),
    ):
        assert f'<input type="radio" name="audience" value="{value}"> {label}</label>' in html
    assert '<script src="/static/js/audience.js" defer></script>' in html
    assert '<section class="card plain-summary" id="plain-summary"' in html
    assert "<p>Statins are pills that lower cholesterol.</p>" in html
    # The remembered choice is applied in the browser (audience.js): a cookie changes nothing on the server,
    # so the page stays the same bytes for everyone.
    client.cookies["audience"] = "professional"
    assert client.get(page_url(article)).content.decode() == html
    del client.cookies["audience"]
    # Without JavaScript the form asks for ?audience=…: professionals do not get the summary first.
    html = client.get(page_url(article) + "?audience=professional").content.decode()
    assert 'value="professional" checked' in html
    assert 'data-audience-show="patient none" hidden>' in html
    html = client.get(page_url(article) + "?audience=patient").content.decode()
    assert 'value="patient" checked' in html and 'data-audience-show="patient none">' in html
    html = client.get(page_url(article) + "?audience=student").content.decode()
    assert 'value="student" checked' in html
    # Nonsense values are ignored.
    html = client.get(page_url(article) + "?audience=<script>").content.decode()
    form = html.split('id="audience-form"')[1].split("</form>")[0]
    assert " checked" not in form and "<script>" not in form


def test_patient_without_a_summary_is_told_so(client, approved_live):
    html = client.get(page_url(approved_live) + "?audience=patient").content.decode()
    assert 'id="no-plain-summary" data-audience-show="patient">' in html
    assert "There is no plain-language summary of this article yet" in html


def test_unpublished_article_and_unknown_version_are_404(client, author, editor, board, approved_live):
    draft = make_article(author, title="Is coffee good for you?")
    approved_unpublished = reviewed_article(author, editor, [board], state="approved")
    for path in (
        page_url(draft),
        page_url(draft, 1),
        page_url(approved_unpublished),
        page_url(approved_live, 2),
        "/articles/no-such-article/",
    ):
        assert client.get(path).status_code == 404, path


def test_retracted_live_version_is_410_with_the_notice(client, editor, approved_live):
    publishing.retract_live_version(approved_live, actor=editor, reason="The dosage table was wrong")
    for path in (page_url(approved_live), page_url(approved_live, 1)):
        response = client.get(path)
        assert response.status_code == 410, path
        html = response.content.decode()
        version = PublishedVersion.objects.get(article=approved_live, number=1)
        assert "Version 1 of this article has been retracted" in html
        assert "The dosage table was wrong" in html
        assert day(version.retracted_at) in html
        assert '<meta name="robots" content="noindex">' in html
        assert "public" in response.headers["Cache-Control"]  # the notice is the same for every reader
    # It is no longer listed publicly.
    assert approved_live.slug not in client.get("/articles/").content.decode()


def test_older_retracted_version_is_410_while_the_live_one_is_shown(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", publication_policy="immediate"))
    publishing.retract_live_version(article, actor=editor, reason="Superseded by safety data")
    article = publish(
        new_version(fresh(article), author=author, body="Safer [1].", references=references(1), change_summary="Fix")
    )
    assert client.get(page_url(article)).status_code == 200
    old = client.get(page_url(article, 1))
    assert old.status_code == 410
    assert "Superseded by safety data" in old.content.decode()
    assert f'href="/articles/{article.slug}/"' in old.content.decode()  # to the current version
    listed = client.get(page_url(article)).content.decode()
    assert "(retracted " in listed


def test_body_level_one_headings_are_nested_under_the_question(client, author, editor, board, publish):
    article = publish(
        reviewed_article(
            author,
            editor,
            [board],
            state="approved",
            body="# From the Guidelines\n\nText [1].\n\n## Detail\n\nMore [2].",
        )
    )
    html = client.get(page_url(article)).content.decode()
    assert html.count("<h1") == 1
    assert "<h2>From the Guidelines</h2>" in html and "<h3>Detail</h3>" in html


def test_index_lists_only_articles_with_a_live_version(client, author, editor, board, approved_live, pending_live):
    make_article(author, title="A draft nobody may see")
    response = client.get("/articles/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/articles/{approved_live.slug}/"' in html
    assert f'href="/articles/{pending_live.slug}/"' in html
    assert "A draft nobody may see" not in html
    assert "Pending review" in html and "Reviewed by the Medical Advisory Board" in html


def test_home_sends_anonymous_readers_to_the_index(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/articles/"


def test_editorial_policy_covers_how_review_works(client):
    response = client.get("/editorial-policy/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "How review works",
        "Quorum and specialties",
        "Conflicts of interest",
        "Electronic signatures",
        "Periodic re-review",
        "Corrections and retractions",
    ):
        assert f">{heading}</h2>" in html, heading
    assert BOARD_STATEMENT in html


def test_rereview_keeps_the_version_approved_and_says_so(client, approved_live, editor):
    workflow.open_rereview(fresh(approved_live), actor=editor)
    html = client.get(page_url(approved_live)).content.decode()
    assert stepper_status(html) == "approved"
    assert "A periodic re-review of this version is under way." in html


def test_last_reviewed_is_this_versions_approval(client, author, editor, board, publish):
    """After a later revision is approved, an older version's page keeps its own review date."""
    article = publish(reviewed_article(author, editor, [board], state="approved"))
    first_approval = RevisionApproval.objects.get(article=article)
    with records_unprotected():
        RevisionApproval.objects.filter(pk=first_approval.pk).update(
            approved_at=first_approval.approved_at - datetime.timedelta(days=400)
        )
    article = new_version(fresh(article), author=author, body="New [1].", references=references(1), change_summary="x")
    workflow.start_review(article, actor=editor)
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    article = publish(fresh(article))
    v1_html = client.get(page_url(article, 1)).content.decode()
    v2_html = client.get(page_url(article)).content.decode()
    old = first_approval.approved_at - datetime.timedelta(days=400)
    assert f'Last reviewed <time datetime="{old:%Y-%m-%dT%H:%M:%SZ}">' in v1_html
    assert day(timezone.now()) in v2_html.split("Last reviewed")[1][:120]
