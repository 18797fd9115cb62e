"""What changed since you signed (DESIGN.md "Machine-drafted answers"): a member who decided on an earlier
revision opens the workspace on the diff from their last signed revision to the current one, unchanged
stretches folded, and the claims and annotations on changed sentences listed first."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleState
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import claims as claim_services
from editorial.services import workflow
from reviewers.claims import revision_claims
from tests.factories import PASSWORD, sign_decision
from tests.pages.workspace.helpers import selectors_for, workspace_url
from tests.pages.workspace.test_query_counts import MAX_WORKSPACE_QUERIES

pytestmark = pytest.mark.django_db

PARAGRAPHS = [
    "## From the Guidelines",
    "Statins lower LDL cholesterol [1].",
    "Muscle aches are the most commonly reported side effect of treatment.",
    "Liver tests are checked before treatment starts.",
    "Most people take the tablet in the evening.",
    "Grapefruit juice can raise statin levels.",
    "Take atorvastatin 20 mg once daily [1].",
    "## From the Research",
    "A trial found fewer events [2].",
]
BODY = "\n\n".join(PARAGRAPHS)
CHANGED = "Take atorvastatin 40 mg once daily [1]."


def fresh(article) -> Article:
    return Article.objects.select_related("current_revision").get(pk=article.pk)


@pytest.fixture
def resubmitted(build, author, editor, board):
    """`board` verified every claim of revision 1 and requested changes; revision 2 changes the dose sentence
    and is under review again."""
    article = build(ArticleState.UNDER_REVIEW, body=BODY)
    for claim in revision_claims(article.current_revision):
        claim_services.verify_claim(article, actor=board, revision_number=1, claim_key=claim.key,
                                    reference=claim.reference_choices([1, 2])[0])  # fmt: skip
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Check the dose")
    workflow.revise_article(fresh(article), actor=author)
    article_services.edit_article(fresh(article), actor=author, body=BODY.replace(PARAGRAPHS[6], CHANGED))
    workflow.submit_article(fresh(article), actor=author)
    workflow.start_review(fresh(article), actor=editor)
    return fresh(article)


def test_the_workspace_opens_on_what_changed_since_you_signed(signed_in, resubmitted, board):
    html = signed_in(board).get(workspace_url(resubmitted)).content.decode()
    main = html.split('class="workspace-main"')[1]
    assert main.index('id="since-signed"') < main.index('id="revision-text"')  # it opens on the diff
    section = main.split('id="since-signed"')[1].split("</section>")[0]
    assert "What changed since you signed revision 1" in section
    assert "1 change</span>, 1 sentence you have not read" in section
    assert '<tr class="fold">' in section  # the unchanged paragraphs are folded
    assert "<ins>4</ins>0 mg" in section and "Liver tests" not in section  # the change shown, the rest folded
    assert f"/diff/1/{resubmitted.current_revision.number}/" in section


def test_claims_of_changed_sentences_come_first(signed_in, resubmitted, board):
    html = signed_in(board).get(workspace_url(resubmitted)).content.decode()
    claims = html.split('id="claim-list"')[1].split("</ol>")[0]
    items = claims.split("<li ")[1:]
    assert CHANGED in items[0] and "changed since you signed" in items[0] and "claim-form" in items[0]
    # The unchanged claims were carried over, verified; the changed one awaits verification.
    assert all("Verified by you against" in item and "carried over" in item for item in items[1:])
    assert "2 of 3</strong> claims verified by you" in html


def test_annotations_on_changed_sentences_come_first(signed_in, resubmitted, board):
    article = resubmitted
    text = article.current_revision.text
    for quote in ("Statins lower LDL", "40 mg once daily"):
        annotation_services.add_annotation(article, actor=board, revision_number=2, kind="comment",
                                           body=f"On {quote}", selectors=selectors_for(text, quote))  # fmt: skip
    html = signed_in(board).get(workspace_url(article)).content.decode()
    threads = html.split('id="threads"')[1].split("</ol>")[0]
    assert threads.index("On 40 mg once daily") < threads.index("On Statins lower LDL")
    assert threads.count("Changed since you signed") == 1


def test_no_diff_for_who_has_not_signed_or_reads_another_revision(signed_in, resubmitted, board, board2, editor):
    for user in (board2, editor):
        assert 'id="since-signed"' not in signed_in(user).get(workspace_url(resubmitted)).content.decode()
    assert 'id="since-signed"' not in signed_in(board).get(workspace_url(resubmitted, 1)).content.decode()


def test_no_diff_when_the_signed_revision_is_current(signed_in, build, board):
    article = build(ArticleState.UNDER_REVIEW)
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    assert 'id="since-signed"' not in signed_in(board).get(workspace_url(article)).content.decode()


def test_the_diff_costs_a_constant_number_of_queries(signed_in, resubmitted, board, django_assert_max_num_queries):
    client = signed_in(board)
    client.get(workspace_url(resubmitted))
    with django_assert_max_num_queries(MAX_WORKSPACE_QUERIES):
        assert client.get(workspace_url(resubmitted)).status_code == 200
