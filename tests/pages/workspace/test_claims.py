"""Verifying claims from the workspace: a form per claim for the assigned board member, the count on the
decision form, refusals shown with nothing recorded, a constant number of queries however many claims."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.services import claims as claim_services
from reviewers.claims import revision_claims
from reviewers.models import ClaimVerification
from tests.factories import DOSE_BODY, PASSWORD, sign_decision
from tests.pages.public.helpers import page_url
from tests.pages.public.test_caching import MAX_COLD_PAGE_QUERIES
from tests.pages.workspace.helpers import audit_count, shown, workspace_url
from tests.pages.workspace.test_query_counts import MAX_WORKSPACE_QUERIES, count

pytestmark = pytest.mark.django_db


def claims_of(article):
    return revision_claims(Article.objects.select_related("current_revision").get(pk=article.pk).current_revision)


def verify(client, article, claim, reference=None, revision=1):
    data = {"revision": revision, "claim": claim.key, "reference": reference or claim.reference_choices([1, 2])[0]}
    return client.post(reverse("claim-verify", args=[article.pk]), data)


@pytest.fixture
def dosed(build):
    return build(ArticleState.UNDER_REVIEW, body=DOSE_BODY, doses_need_verification=True)


def test_a_member_sees_each_claim_with_a_labelled_form(signed_in, dosed, board):
    html = signed_in(board).get(workspace_url(dosed)).content.decode()
    section = html.split('id="claims"')[1].split("</section>")[0]
    assert "0 of 4</strong> claims verified by you" in section
    assert section.count('class="inline claim-form"') == 4
    assert "Verified against [1]</button>" in section  # a sentence citing [1] only: one button
    assert '<label for="claim-ref-4">Source</label>' in section  # a dose without a marker: choose the source
    assert "every dose must be verified by an approver" in section
    decision = html.split('id="decision-form"')[1].split("</form>")[0]
    assert "0 of 4</strong> claims verified by you" in decision and "2 dose statements not verified yet" in decision


def test_verifying_moves_the_count_and_returns_to_the_claim(signed_in, dosed, board):
    client = signed_in(board)
    claim = claims_of(dosed)[1]
    response = verify(client, dosed, claim)
    assert response.status_code == 302 and response["Location"].endswith(f"#{claim.element_id()}")
    html = client.get(response["Location"]).content.decode()
    assert "Claim verified against [1]." in html
    assert "1 of 4</strong> claims verified by you" in html
    item = html.split(f'id="{claim.element_id()}"')[1].split("</li>")[0]
    assert "Verified by you against [1]" in item and "claim-form" not in item
    assert ClaimVerification.objects.get().member == board


def test_a_repeated_sentence_has_an_id_of_its_own_and_verifying_it_returns_to_it(signed_in, build, board):
    sentence = "Take atorvastatin 20 mg daily [1]."
    repeated = build(ArticleState.UNDER_REVIEW, body=f"{sentence}\n\n{sentence}\n\nA trial found fewer events [2].")
    first, second, _ = claims_of(repeated)
    assert second.key == first.key + "#2" and first.element_id() != second.element_id()
    client = signed_in(board)
    html = client.get(workspace_url(repeated)).content.decode()
    assert html.count(f'id="{first.element_id()}"') == html.count(f'id="{second.element_id()}"') == 1
    response = verify(client, repeated, second)
    assert response.status_code == 302 and response["Location"].endswith(f"#{second.element_id()}")
    item = client.get(response["Location"]).content.decode().split(f'id="{second.element_id()}"')[1].split("</li>")[0]
    assert "Verified by you against [1]" in item


def test_other_roles_see_no_claim_forms(signed_in, dosed, author, editor, auditor):
    for user in (author, editor, auditor):
        html = signed_in(user).get(workspace_url(dosed)).content.decode()
        assert 'id="claims"' not in html and "claim-form" not in html, user


@pytest.mark.parametrize("who", ["author", "editor", "auditor", "outsider"])
def test_wrong_role_or_unassigned_member_is_refused(signed_in, dosed, who, request):
    user = request.getfixturevalue(who)
    events = audit_count()
    response = verify(signed_in(user), dosed, claims_of(dosed)[0])
    assert response.status_code == 302
    expected = (
        "You are not assigned to review this article."
        if who == "outsider"
        else "Only the board members assigned to this article verify its claims."
    )
    assert shown(response) == [expected]
    assert ClaimVerification.objects.count() == 0 and audit_count() == events


def test_wrong_state_shows_no_forms_and_refuses(signed_in, build, board):
    article = build(ArticleState.CHANGES_REQUESTED, body=DOSE_BODY)
    client = signed_in(board)
    html = client.get(workspace_url(article)).content.decode()
    assert 'id="claims"' in html and "claim-form" not in html
    events = audit_count()
    response = verify(client, article, claims_of(article)[0])
    assert shown(response) == ["Claims are verified while the article is under review; it is changes requested."]
    assert ClaimVerification.objects.count() == 0 and audit_count() == events


@pytest.mark.parametrize(
    "data",
    [
        {"revision": "1", "claim": "<script>alert(1)</script>", "reference": "1"},
        {"revision": "1", "claim": "x" * 500, "reference": "1"},
        {"revision": "one", "claim": "k", "reference": "1"},
        {"revision": "1", "claim": "k", "reference": "-1"},
        {"revision": "1", "reference": "1"},
    ],
)
def test_hostile_input_is_refused(signed_in, dosed, board, data):
    events = audit_count()
    response = signed_in(board).post(reverse("claim-verify", args=[dosed.pk]), data)
    assert response.status_code == 302 and shown(response)
    assert "<script>" not in " ".join(shown(response))
    assert ClaimVerification.objects.count() == 0 and audit_count() == events


def test_approve_button_appears_once_every_dose_is_verified(signed_in, dosed, board):
    client = signed_in(board)
    html = client.get(workspace_url(dosed)).content.decode()
    assert 'data-transition="approve"' not in html
    assert "Every dose must be verified by an approver: 2 dose statements" in html
    for claim in claims_of(dosed):
        if claim.is_dose:
            verify(client, dosed, claim)
    html = client.get(workspace_url(dosed)).content.decode()
    assert 'data-transition="approve"' in html and "all verified" in html


def test_workspace_queries_do_not_grow_with_claims(signed_in, build, board):
    """One query for the member's verifications, whatever the number of claims and verifications."""
    few = build(ArticleState.UNDER_REVIEW, body=DOSE_BODY)
    many_body = DOSE_BODY + "".join(f"\n\nDrug {n} is given at {n + 1} mg daily [1]." for n in range(30))
    many = build(ArticleState.UNDER_REVIEW, body=many_body, title="Many doses?")
    client = signed_in(board)
    for article in (few, many):
        for claim in claims_of(article):
            verify(client, article, claim)
    client.get(workspace_url(few))
    small, large = count(client, workspace_url(few)), count(client, workspace_url(many))
    print(f"workspace queries with claims: 4 claims {small}, 34 claims {large}")
    assert small == large <= MAX_WORKSPACE_QUERIES


def test_public_page_says_every_dose_was_checked_only_when_it_was(
    client, build, board, publish, django_assert_max_num_queries
):
    article = build(ArticleState.UNDER_REVIEW, body=DOSE_BODY, doses_need_verification=True)
    for claim in [c for c in claims_of(article) if c.is_dose]:
        claim_services.verify_claim(article, actor=board, revision_number=1, claim_key=claim.key, reference=1)
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    article = publish(article)
    cache.clear()  # rendered afresh: the dose check costs one query more, for these articles alone
    with django_assert_max_num_queries(MAX_COLD_PAGE_QUERIES + 1):
        html = client.get(page_url(article)).content.decode()
    assert "Every dose checked by a board member" in html

    lax = build(ArticleState.UNDER_REVIEW, body=DOSE_BODY, title="Without the setting?")
    sign_decision(lax, verdict="approve", actor=board, password=PASSWORD)
    assert "Every dose checked" not in client.get(page_url(publish(lax))).content.decode()
