"""Claim-by-claim verification (DESIGN.md "Machine-drafted answers"): a board member marks each claim of the
current revision "verified against [n]"; an article may require every dose to be verified by an approver
before their approval is taken (409 doses_unverified); verifications follow a sentence onto the next revision
only where it and its source are unchanged."""

from __future__ import annotations

import pytest

from articles.models import Article
from articles.rendering import render_body
from editorial.audit import verify_chain
from editorial.exceptions import Forbidden, InvalidInput, StateConflict
from editorial.models import AuditEvent
from editorial.services import articles as article_services
from editorial.services import claims as claim_services
from editorial.services import workflow
from reviewers.checks import run_checks
from reviewers.claims import find_claims, revision_claims
from reviewers.models import ClaimVerification, Decision
from tests.factories import DOSE_BODY, PASSWORD, make_user, reviewed_article, sign_decision
from tests.workflow.helpers import article_url, assert_error

pytestmark = pytest.mark.django_db


def fresh(article) -> Article:
    return Article.objects.select_related("current_revision").get(pk=article.pk)


def claims_of(article):
    return revision_claims(fresh(article).current_revision)


def verify_all(article, member, *, doses_only: bool = False) -> None:
    for claim in claims_of(article):
        if doses_only and not claim.is_dose:
            continue
        claim_services.verify_claim(
            fresh(article),
            actor=member,
            revision_number=fresh(article).current_revision.number,
            claim_key=claim.key,
            reference=claim.reference_choices([1, 2])[0],
        )


@pytest.fixture
def strict(author, editor, board, board2):
    """Under review, both members assigned and declared; every dose must be verified by an approver."""
    return reviewed_article(author, editor, [board, board2], state="under_review", body=DOSE_BODY,
                            doses_need_verification=True)  # fmt: skip


def test_claims_are_sentences_with_a_marker_or_a_dose():
    text = "Statins lower LDL [1]. Take 20 mg daily. Muscle aches happen often.\n\nCode [2]\n\nCode 5 mg"
    claims = find_claims(text, [("p", 0, 67), ("pre", 69, 77), ("pre", 79, 88)])
    # In code a marker cites nothing, but a dose is still a dose: the dosage check flags it, so the member
    # verifies it (doses_need_verification).
    assert [(c.sentence, c.references, c.doses) for c in claims] == [
        ("Statins lower LDL [1].", (1,), ()),
        ("Take 20 mg daily.", (), ("20 mg daily",)),
        ("Code 5 mg", (), ("5 mg",)),
    ]
    assert claims[1].reference_choices([1, 2]) == [1, 2] and claims[0].reference_choices([1, 2]) == [1]


def test_every_dose_the_dosage_check_flags_is_a_claim_to_verify():
    """Indented by mistake, a dose line is a code block: the check flags it, so approving must wait for it."""
    body = "Statins lower LDL cholesterol [1].\n\n    Give atorvastatin 20 mg daily\n"
    rendered = render_body(body)
    flagged = [f.exact for f in run_checks(rendered.text, rendered.blocks, [], set()) if f.rule == "dosage"]
    claimed = [d for c in find_claims(rendered.text, rendered.blocks) for d in c.doses]
    assert flagged == claimed == ["20 mg daily"]


def test_the_same_sentence_twice_is_two_claims():
    claims = find_claims("Take 5 mg [1].\n\nTake 5 mg [1].", None)
    assert len(claims) == 2 and claims[1].key == claims[0].key + "#2"


def test_a_member_verifies_a_claim_and_it_is_audited(strict, board):
    claim = claims_of(strict)[1]  # "Take atorvastatin 20 mg once daily [1]."
    verification = claim_services.verify_claim(strict, actor=board, revision_number=1, claim_key=claim.key,
                                               reference=1)  # fmt: skip
    assert (verification.sentence, verification.reference, verification.is_dose) == (claim.sentence, 1, True)
    event = AuditEvent.objects.get(action="claim.verify")
    assert event.actor == board and event.article_id == strict.pk
    assert event.after == {
        "revision": 1,
        "claim": claim.key,
        "sentence": "Take atorvastatin 20 mg once daily [1].",
        "start": claim.start,
        "end": claim.end,
        "reference": 1,
        "doses": ["20 mg once daily"],
    }


def refused(error_type, code, article, **kwargs):
    before = (ClaimVerification.objects.count(), AuditEvent.objects.count())
    with pytest.raises(error_type) as caught:
        claim_services.verify_claim(article, **kwargs)
    assert caught.value.code == code, caught.value.detail
    assert (ClaimVerification.objects.count(), AuditEvent.objects.count()) == before
    return caught.value


@pytest.mark.parametrize("role", ["author", "editor", "auditor"])
def test_wrong_role_is_refused(strict, role, author):
    user = author if role == "author" else make_user(role, username=f"the_{role}")
    key = claims_of(strict)[0].key
    refused(Forbidden, "permission_denied", strict, actor=user, revision_number=1, claim_key=key, reference=1)


def test_an_unassigned_member_is_refused(strict):
    outsider = make_user("board", username="outsider")
    key = claims_of(strict)[0].key
    refused(Forbidden, "not_assigned", strict, actor=outsider, revision_number=1, claim_key=key, reference=1)


def test_a_conflicted_member_is_refused(strict, board):
    from editorial.services import assignments

    assignments.declare_conflict(strict, actor=board, has_conflict=True, statement="I consult for them.")
    key = claims_of(strict)[0].key
    refused(StateConflict, "conflict_of_interest", strict, actor=board, revision_number=1, claim_key=key, reference=1)


@pytest.mark.parametrize("state", ["approved", "changes_requested"])
def test_wrong_state_is_refused(author, editor, board, state):
    article = reviewed_article(author, editor, [board], state=state, body=DOSE_BODY)
    key = claims_of(article)[0].key
    refused(StateConflict, "invalid_transition", article, actor=board, revision_number=1, claim_key=key, reference=1)


@pytest.mark.parametrize(
    ("claim", "reference", "revision", "field"),
    [
        ("0" * 64, 1, 1, "claim"),
        ("<script>alert(1)</script>", 1, 1, "claim"),
        (None, 2, 1, "reference"),  # the sentence cites [1] only
        (None, 99, 1, "reference"),
        (None, 1, 7, "revision"),
    ],
)
def test_hostile_input_is_refused(strict, board, claim, reference, revision, field):
    key = claim or claims_of(strict)[0].key
    error = refused(InvalidInput, "invalid", strict, actor=board, revision_number=revision, claim_key=key,
                    reference=reference)  # fmt: skip
    assert field in error.extra["errors"]


def test_a_claim_is_verified_once(strict, board):
    key = claims_of(strict)[0].key
    claim_services.verify_claim(strict, actor=board, revision_number=1, claim_key=key, reference=1)
    refused(StateConflict, "already_verified", strict, actor=board, revision_number=1, claim_key=key, reference=1)


def test_an_earlier_revision_is_refused_as_stale(author, editor, board):
    """Revision 1 exists but revision 2 is current (resubmitted): verifying on 1 is 409, nothing recorded."""
    article = reviewed_article(author, editor, [board], state="under_review", body=DOSE_BODY)
    old_key = claims_of(article)[0].key
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Fix the dose")
    workflow.revise_article(fresh(article), actor=author)
    article_services.edit_article(fresh(article), actor=author, body=DOSE_BODY.replace("20 mg", "40 mg"))
    workflow.submit_article(fresh(article), actor=author)
    workflow.start_review(fresh(article), actor=editor)
    refused(StateConflict, "stale_revision", fresh(article), actor=board, revision_number=1, claim_key=old_key,
            reference=1)  # fmt: skip


def test_approve_is_refused_while_a_dose_is_unverified_and_records_nothing(api, strict, board):
    # Every claim verified but the doses: those are what the setting asks for.
    for claim in claims_of(strict):
        if not claim.is_dose:
            claim_services.verify_claim(strict, actor=board, revision_number=1, claim_key=claim.key,
                                        reference=claim.references[0])  # fmt: skip
    before = (Decision.objects.count(), AuditEvent.objects.count(), fresh(strict).state)
    response = api.as_user(board).post(article_url(strict) + "transitions/approve/",
                                       {"password": PASSWORD, "revision": 1}, format="json")  # fmt: skip
    body = assert_error(response, 409, "doses_unverified")
    assert [c["sentence"] for c in body["claims"]] == [
        "Take atorvastatin 20 mg once daily [1].",
        "Rosuvastatin 5-10 mg daily was used.",
    ]
    assert (Decision.objects.count(), AuditEvent.objects.count(), fresh(strict).state) == before
    names = [t["name"] for t in api.get(article_url(strict) + "transitions/").json()]
    assert "approve" not in names and "request_changes" in names


def test_approve_is_accepted_once_every_dose_is_verified(api, strict, board):
    verify_all(strict, board, doses_only=True)
    response = api.as_user(board).post(article_url(strict) + "transitions/approve/",
                                       {"password": PASSWORD, "revision": 1}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"


def test_one_members_verifications_do_not_count_for_another(api, strict, board, board2):
    verify_all(strict, board)
    response = api.as_user(board2).post(article_url(strict) + "transitions/approve/",
                                        {"password": PASSWORD, "revision": 1}, format="json")  # fmt: skip
    assert_error(response, 409, "doses_unverified")


def test_without_the_setting_doses_do_not_block(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review", body=DOSE_BODY)
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    assert fresh(article).state == "approved"


def test_the_setting_is_an_editors_and_is_audited(api, author, editor):
    article = reviewed_article(author, editor, [], state="draft", body=DOSE_BODY)
    refused_edit = api.as_user(author).patch(article_url(article), {"doses_need_verification": True}, format="json")
    assert_error(refused_edit, 403, "permission_denied")
    response = api.as_user(editor).patch(article_url(article), {"doses_need_verification": True}, format="json")
    assert response.status_code == 200 and response.json()["doses_need_verification"] is True
    event = AuditEvent.objects.filter(action="article.settings").last()
    assert (event.before, event.after) == ({"doses_need_verification": False}, {"doses_need_verification": True})


def test_verifications_carry_only_to_unchanged_sentences(author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review", body=DOSE_BODY)
    verify_all(article, board)
    assert ClaimVerification.objects.filter(revision__number=1).count() == 4
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Fix the dose")
    workflow.revise_article(fresh(article), actor=author)
    body = DOSE_BODY.replace("20 mg once daily", "40 mg once daily").replace("fewer events [2]", "fewer deaths [2]")
    article_services.edit_article(fresh(article), actor=author, body=body)
    carried = ClaimVerification.objects.filter(revision__number=2).order_by("start")
    assert [v.sentence for v in carried] == [
        "Statins lower LDL cholesterol [1].",
        "Rosuvastatin 5-10 mg daily was used.",
    ]
    originals = {v.claim_key: v for v in ClaimVerification.objects.filter(revision__number=1)}
    assert all(v.carried_from_id == originals[v.claim_key].pk for v in carried)
    event = AuditEvent.objects.get(action="claim.carry")
    assert event.before == {"revision": 1, "verifications": 4} and len(event.after["carried"]) == 2
    assert verify_chain().ok  # the events as stored hash as they were appended


def test_a_changed_source_is_not_carried(author, editor, board):
    """The sentence is unchanged, but [1] now points to another work: "verified against [1]" no longer holds."""
    article = reviewed_article(author, editor, [board], state="under_review", body=DOSE_BODY)
    verify_all(article, board)
    sign_decision(article, verdict="request_changes", actor=board, password=PASSWORD, comment="Check [1]")
    workflow.revise_article(fresh(article), actor=author)
    references = [r.as_dict() for r in fresh(article).current_revision.references.all()]
    references[0]["citation"] = "Another guideline altogether"
    article_services.edit_article(fresh(article), actor=author, references=references)
    carried = ClaimVerification.objects.filter(revision__number=2)
    assert {v.reference for v in carried} == {2}


# --- the API: GET/POST /api/v1/articles/{id}/claims/ -----------------------------------------------------------


def claims_url(article) -> str:
    return article_url(article) + "claims/"


def test_api_lists_the_claims_with_your_verifications(api, strict, board, board2):
    client = api.as_user(board)
    listed = client.get(claims_url(strict)).json()
    assert listed["count"] == 4
    first = listed["results"][0]
    assert first["sentence"] == "Statins lower LDL cholesterol [1]." and first["verified_by_you"] is None
    assert first["references"] == [1] and first["reference_choices"] == [1] and first["doses"] == []
    last = listed["results"][-1]
    assert last["doses"] == ["5-10 mg daily"] and last["reference_choices"] == [1, 2]
    response = client.post(claims_url(strict), {"revision": 1, "claim": last["key"], "reference": 2}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["claim"], body["reference"], body["is_dose"], body["carried"]) == (last["key"], 2, True, False)
    mine = client.get(claims_url(strict)).json()["results"][-1]["verified_by_you"]
    assert mine["reference"] == 2 and mine["carried"] is False
    # Another member's view: their own verifications only.
    assert api.as_user(board2).get(claims_url(strict)).json()["results"][-1]["verified_by_you"] is None
    assert client.get(claims_url(strict) + "?revision=9").status_code == 404
    assert_error(client.get(claims_url(strict) + "?revision=x"), 400, "invalid")
    assert_error(client.get(claims_url(strict) + "?revision=-1"), 400, "invalid")  # as the schema's minimum says


def test_api_refusals_in_order_and_nothing_recorded(api, strict, author, board):
    key = claims_of(strict)[0].key
    before = (ClaimVerification.objects.count(), AuditEvent.objects.count())
    # 403 before 400: the author may not verify, whatever the body.
    assert_error(api.as_user(author).post(claims_url(strict), {}, format="json"), 403, "permission_denied")
    client = api.as_user(board)
    body = assert_error(client.post(claims_url(strict), {"claim": key}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"revision", "reference"}
    body = assert_error(
        client.post(claims_url(strict), {"revision": 1, "claim": key, "reference": 2}, format="json"), 400, "invalid"
    )
    assert body["errors"] == {"reference": ["Choose one of [1]."]}
    assert (ClaimVerification.objects.count(), AuditEvent.objects.count()) == before
    assert (
        client.post(claims_url(strict), {"revision": 1, "claim": key, "reference": 1}, format="json").status_code == 201
    )
    again = client.post(claims_url(strict), {"revision": 1, "claim": key, "reference": 1}, format="json")
    assert_error(again, 409, "already_verified")
