"""Who may do what: the only place that says it, in permission terms.

`can_*` answer True or False (pages use them to show a desk, a form or a button); `require_*` raise the
error the API returns (Forbidden, 403) with a sentence for the user. Services call the `require_*` before
they change anything; the API calls them again before it reads the request body, so 403 comes before 400.

Whether a board member may review a given article (active, not its author, assigned, in date, no conflict)
is the board's own rule, `reviewers.eligibility.reviewer_refusal`; the requirements below ask it.

Every owner right (the author's, an annotation's creator's) also needs the role that grants it now: an
author who became an auditor keeps the records of their articles, not the right to act on them.
"""

from __future__ import annotations

from articles.models import DECISION_TRANSITIONS, Article
from reviewers.eligibility import Refusal, ReviewerFacts, reviewer_facts, reviewer_refusal
from reviewers.models import Annotation, AnnotationKind, Assignment
from reviewers.selectors import board_profile

from .exceptions import Forbidden

# --- Roles, as permissions -----------------------------------------------------------------------------


def _has(user, perm: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(perm))


def can_write_articles(user) -> bool:
    """Authors and editors: the author desk, new drafts."""
    return _has(user, "articles.add_article")


def can_edit_any_article(user) -> bool:
    """Editors: every article, whoever wrote it."""
    return _has(user, "articles.edit_any_article")


def can_review(user) -> bool:
    """Board members: the review queue, annotations and signed decisions on the articles assigned to them."""
    return _has(user, "articles.decide_article")


def can_start_review(user) -> bool:
    return _has(user, "articles.start_review")


def can_assign(user) -> bool:
    return _has(user, "reviewers.add_assignment")


def can_publish(user) -> bool:
    """Editors: publish, schedule, cancel and retract versions; the editor desk."""
    return _has(user, "articles.publish_article")


def can_read_audit(user) -> bool:
    """Auditors and editors: the audit log, timelines, exports."""
    return _has(user, "editorial.view_auditevent")


def can_verify_audit(user) -> bool:
    return _has(user, "editorial.verify_auditevent")


def can_triage_reader_reports(user) -> bool:
    return can_edit_any_article(user)


def can_unlock_accounts(user) -> bool:
    """Editors lift sign-in and signing locks."""
    return can_edit_any_article(user)


def can_retry_stuck_work(user) -> bool:
    """Editors see work that failed for good (publishing, notifications, emails) and start it again."""
    return can_publish(user)


def can_manage_retractions(user) -> bool:
    """Editors keep the retraction list."""
    return can_edit_any_article(user)


def can_read_retractions(user) -> bool:
    """Editors, auditors and board members read the retraction list."""
    return can_edit_any_article(user) or can_read_audit(user) or can_review(user)


def can_declare_conflict(user) -> bool:
    return _has(user, "reviewers.add_conflictdeclaration") and board_profile(user) is not None


# --- Objects -------------------------------------------------------------------------------------------


def is_author_now(article: Article, user) -> bool:
    """The article's author, still holding the author's right to change their own articles."""
    return article.created_by_id == user.pk and _has(user, "articles.change_article")


def can_edit_article(article: Article, user) -> bool:
    """Edit, submit, revise or withdraw: its author (as an author now) or an editor."""
    return can_edit_any_article(user) or is_author_now(article, user)


def can_take_transition(article: Article, name: str, user) -> bool:
    """The role-level right to take a transition, whatever the article's state (a wrong state is a 409)."""
    if name in DECISION_TRANSITIONS:
        return can_review(user)
    if name in ("start_review", "start_rereview"):
        return can_start_review(user)
    return can_edit_article(article, user)


def can_accept_suggestion(article: Article, user) -> bool:
    return can_edit_article(article, user)


def can_respond_to_assignment(assignment: Assignment, user) -> bool:
    return assignment.reviewer_id == user.pk and can_review(user)


# --- Requirements (raise the API's error) -------------------------------------------------------------

TRANSITION_REFUSALS = {
    "submit": "Only the article's author or an editor can submit it.",
    "start_review": "Only an editor can start the review.",
    "start_rereview": "Only an editor can open a re-review.",
    "withdraw": "Only the article's author or an editor can withdraw it.",
    "revise": "Only the article's author or an editor can revise it.",
    "request_changes": "Only board members can record decisions.",
    "approve": "Only board members can record decisions.",
    "reject": "Only board members can record decisions.",
}


def require(allowed: bool, sentence: str, code: str | None = None) -> None:
    if not allowed:
        raise Forbidden(sentence, code)


def require_can_create_article(user) -> None:
    require(can_write_articles(user), "Only authors and editors can create articles.")


def require_can_edit(article: Article, user) -> None:
    require(can_edit_article(article, user), "Only the article's author or an editor can edit it.")


def require_can_assign(user) -> None:
    require(can_assign(user), "Only editors can assign reviewers.")


def require_board_member(user) -> None:
    require(can_declare_conflict(user), "Only board members declare conflicts of interest.")


def require_can_publish(user) -> None:
    require(can_publish(user), "Only editors can publish, schedule, cancel and retract.")


def require_can_read_audit(user) -> None:
    require(can_read_audit(user), "Only auditors and editors can read the audit log.")


def require_can_verify_audit(user) -> None:
    require(can_verify_audit(user), "Only auditors can verify the audit chain.")


def require_can_unlock_accounts(user) -> None:
    require(can_unlock_accounts(user), "Only editors can unlock accounts.")


def require_can_retry_stuck_work(user) -> None:
    require(can_retry_stuck_work(user), "Only editors can retry stuck work.")


def require_can_draft_answer(draft_request, user) -> None:
    """A requested answer is drafted by the author it was asked of, while they still hold the author role."""
    require(
        draft_request.author_id == user.pk and can_write_articles(user),
        "Only the author it was asked of drafts this answer.",
    )


def require_can_manage_retractions(user) -> None:
    require(can_manage_retractions(user), "Only editors can add to the retraction list.")


def require_can_read_retractions(user) -> None:
    require(can_read_retractions(user), "Only editors, auditors and board members can read the retraction list.")


def require_can_triage(user) -> None:
    require(can_triage_reader_reports(user), "Only editors triage reader reports.")


def require_can_respond(assignment: Assignment, user) -> None:
    require(can_respond_to_assignment(assignment, user), "Only the assigned board member can answer this assignment.")


def _raise_membership(refusal: Refusal | None) -> Refusal | None:
    """Raise a membership refusal (403); hand back a declaration refusal for the caller's 409 step."""
    if refusal is not None and refusal.is_membership:
        raise Forbidden(refusal.sentence, refusal.code)
    return refusal


def reviewer_facts_read(article: Article) -> dict[int, ReviewerFacts]:
    """The reviewer facts already read for this article object (user id -> ReviewerFacts), for a page that
    needs them again (the quorum) without reading them twice."""
    return article.__dict__.get("_reviewer_facts", {})


def reviewer_facts_for(article: Article, user) -> ReviewerFacts:
    """The member's profile, assignment and declaration on the article, read once per article object: a
    request asks twice (the view's 403 and the service's); the service asks again under the lock with the
    article it has just locked, a new object, so that answer is fresh."""
    known = article.__dict__.setdefault("_reviewer_facts", {})
    if user.pk not in known:
        known[user.pk] = reviewer_facts(article, [user])[user.pk]
    return known[user.pk]


def reviewer_refusal_for(article: Article, user, *, needs_declaration: bool) -> tuple[Refusal | None, ReviewerFacts]:
    facts = reviewer_facts_for(article, user)
    refusal = reviewer_refusal(article, facts, needs_assignment=True, needs_declaration=needs_declaration, you=True)
    return refusal, facts


def require_may_decide(article: Article, user) -> tuple[Refusal | None, ReviewerFacts]:
    """The 403s of a board decision (the role, then the reviewer rule), and the facts they were read from.

    A refusal about the member's declarations (a 409, answered after the state) is returned, not raised.
    """
    require(can_review(user), TRANSITION_REFUSALS["approve"])
    refusal, facts = reviewer_refusal_for(article, user, needs_declaration=True)
    return _raise_membership(refusal), facts


def require_transition_role(article: Article, name: str, user) -> Refusal | None:
    """The 403s of taking a transition; for a decision, a declaration refusal is returned (see above)."""
    if name in DECISION_TRANSITIONS:
        return require_may_decide(article, user)[0]
    require(can_take_transition(article, name, user), TRANSITION_REFUSALS.get(name, "You may not do that."))
    return None


def require_can_annotate(article: Article, user) -> Refusal | None:
    """Editors annotate any article; board members those they may review. A declared conflict is returned."""
    if can_edit_any_article(user):
        return None
    require(can_review(user), "Only assigned board members and editors can annotate.")
    refusal, _ = reviewer_refusal_for(article, user, needs_declaration=False)
    return _raise_membership(refusal)


def can_annotate(article: Article, user) -> bool:
    """Whether the annotation form can succeed for this user (the article's state aside)."""
    try:
        return require_can_annotate(article, user) is None
    except Forbidden:
        return False


def require_can_verify_claims(article: Article, user) -> Refusal | None:
    """Board members verify the claims of the articles they may review: "verified against [n]" is a reviewer's
    word, given before they sign, so editors and authors do not give it. A declared conflict is returned."""
    require(can_review(user), "Only the board members assigned to this article verify its claims.")
    refusal, _ = reviewer_refusal_for(article, user, needs_declaration=False)
    return _raise_membership(refusal)


def can_verify_claims(article: Article, user) -> bool:
    """Whether the claim forms can succeed for this user (the article's state aside)."""
    try:
        return require_can_verify_claims(article, user) is None
    except Forbidden:
        return False


def require_can_reply(article: Article, user) -> Refusal | None:
    """The article's author, editors, and the board members who may review it reply to threads."""
    if can_edit_any_article(user) or is_author_now(article, user):
        return None
    require(can_review(user), "Only the article's author, its assigned board members and editors can reply.")
    refusal, _ = reviewer_refusal_for(article, user, needs_declaration=False)
    return _raise_membership(refusal)


def can_reply(article: Article, user) -> bool:
    try:
        return require_can_reply(article, user) is None
    except Forbidden:
        return False


def can_resolve_annotation(annotation: Annotation, article: Article, user) -> bool:
    """Resolve or reopen: the annotation's creator (still a reviewer) or an editor; the article's author too
    when it is not blocking. A blocking concern is closed only by whoever raised it or an editor: the author
    answers it with a reply.

    An automated check has no creator: editors and the board members who may review the article resolve it,
    not the author, whose text it questions (the author answers with a reply, as to a blocking concern)."""
    if can_edit_any_article(user):
        return True
    if annotation.kind == AnnotationKind.CHECK:
        return can_annotate(article, user)
    if annotation.created_by_id == user.pk and can_review(user):
        return True
    return not annotation.blocking and is_author_now(article, user)


def require_can_resolve(annotation: Annotation, article: Article, user, verb: str) -> None:
    if annotation.kind == AnnotationKind.CHECK:
        sentence = f"Only editors and the assigned board members can {verb} an automated check; reply to it."
    elif annotation.blocking:
        sentence = f"Only the board member who raised this blocking concern or an editor can {verb} it; reply to it."
    else:
        sentence = f"Only the annotation's author, the article's author or an editor can {verb} it."
    require(can_resolve_annotation(annotation, article, user), sentence)


def require_can_accept_suggestion(article: Article, user) -> None:
    require(can_accept_suggestion(article, user), "Only the article's author or an editor can accept a suggestion.")
