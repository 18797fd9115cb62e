"""The review lifecycle: submit, start review, signed board decisions, revise, withdraw."""

from __future__ import annotations

from functools import cached_property

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from articles.models import DECISION_TRANSITIONS, TRANSITION_NAMES, Article, ArticleState, RereviewReason
from articles.rendering import check_citations
from editorial import outbox, permissions
from editorial.audit import record_event
from editorial.exceptions import EditorialError, Forbidden, InvalidInput, NotFound, StateConflict
from editorial.models import NotificationKind
from editorial.notifications import EVERY_EDITOR, author_and_editors, notify
from reviewers.eligibility import Refusal
from reviewers.models import Assignment, Decision, RevisionApproval, Verdict
from reviewers.selectors import claim_progress, in_current_round, open_blocking_annotation_ids, quorum_status

from . import checks, signing
from .common import lock_article, require_reason, service_transaction
from .publishing import review_interval, stop_publishing

VERDICT_FOR = {"approve": Verdict.APPROVE, "request_changes": Verdict.REQUEST_CHANGES, "reject": Verdict.REJECT}
TRANSITION_FOR = {verdict: name for name, verdict in VERDICT_FOR.items()}
MISSING_FOR_SIGNATURE = {"password": "your password", "revision": "the number of the revision you read"}


def _state_sentence(article: Article, name: str) -> str:
    return f"Cannot {name.replace('_', ' ')} an article that is {article.get_state_display().lower()}."


def _check_state(article: Article, name: str) -> None:
    if not can_proceed(getattr(article, name)):
        raise StateConflict(_state_sentence(article, name))


class DecisionFacts:
    """What the checks of the three board decisions ask, read once: a page or the transitions list checks
    every transition of one article for one user. A service deciding makes its own, under the lock."""

    def __init__(self, article: Article, actor, decisions: list[Decision] | None = None) -> None:
        self.article, self.actor, self.decisions = article, actor, decisions  # decisions: the article's, if read

    @cached_property
    def decided_this_round(self) -> bool:
        if self.decisions is not None:
            return any(d.reviewer_id == self.actor.pk for d in in_current_round(self.article, self.decisions))
        return Decision.objects.filter(article=self.article, reviewer=self.actor).current_round().exists()

    @cached_property
    def open_blocking_ids(self) -> list[int]:
        return open_blocking_annotation_ids(self.article)


def _check_decision_state(
    article: Article, name: str, actor, declaration_refusal: Refusal | None, facts: DecisionFacts | None = None
) -> None:
    """409s for a board decision: state, conflict declaration, a decision already in this round, blocking."""
    facts = facts or DecisionFacts(article, actor)
    _check_state(article, name)
    if declaration_refusal is not None:
        raise StateConflict(declaration_refusal.sentence, declaration_refusal.code)
    if facts.decided_this_round:
        raise StateConflict(f"You already decided on revision {article.current_revision.number}.", "already_decided")
    if name == "approve":
        blocking = facts.open_blocking_ids
        if blocking:
            raise StateConflict(
                "Resolve the blocking annotations first: " + ", ".join(f"#{i}" for i in blocking) + ".",
                "blocking_annotations_open",
                annotations=blocking,
            )
        if article.doses_need_verification:
            _check_doses_verified(article, actor)


def _check_doses_verified(article: Article, actor) -> None:
    """The article's setting: an approver has verified every dose statement of the revision they approve."""
    unverified = claim_progress(article.current_revision, actor).unverified_doses
    if unverified:
        count = len(unverified)
        raise StateConflict(
            f"Every dose must be verified by an approver: {count} dose statement{'s' if count > 1 else ''} of "
            f"revision {article.current_revision.number} {'are' if count > 1 else 'is'} not verified by you yet.",
            "doses_unverified",
            claims=[{"key": c.key, "sentence": c.sentence, "doses": list(c.doses)} for c in unverified],
        )


def check_transition(article: Article, name: str, actor, facts: DecisionFacts | None = None) -> None:
    """Raise the error taking `name` now would give, leaving out the signature; return if it may be taken."""
    refusal = permissions.require_transition_role(article, name, actor)
    if name in DECISION_TRANSITIONS:
        _check_decision_state(article, name, actor, refusal, facts)
        return
    _check_state(article, name)
    if name == "start_review" and not Assignment.objects.filter(article=article).active().exists():
        raise StateConflict("Assign at least one board member before starting the review.", "no_reviewers")


def available_transitions(article: Article, actor, facts: DecisionFacts | None = None) -> list[dict]:
    """The transitions this user may take now, conditions included."""
    facts = facts or DecisionFacts(article, actor)
    available = []
    for name in TRANSITION_NAMES:
        try:
            check_transition(article, name, actor, facts)
        except EditorialError:
            continue
        target = getattr(article, name)._django_fsm.get_transition(article.state).target
        available.append({"name": name, "target": target})
    return available


def take_transition(
    article: Article,
    name: str,
    *,
    actor,
    comment: str = "",
    password: str | None = None,
    revision: int | None = None,
) -> Article:
    """Dispatch a transition by name, as the API, the pages and the admin take them."""
    if name not in TRANSITION_NAMES:
        raise NotFound(f"There is no transition called {name!r}.", "unknown_transition")
    if name in DECISION_TRANSITIONS:
        return record_decision(
            article, verdict=VERDICT_FOR[name], actor=actor, comment=comment, password=password, revision=revision
        )
    return {
        "submit": submit_article,
        "start_review": start_review,
        "withdraw": withdraw_article,
        "revise": revise_article,
    }[name](article, actor=actor, comment=comment)


def _apply(article: Article, name: str, *, actor, comment: str = "", extra_after: dict | None = None):
    """Take the FSM transition, save, and record its audit event (returned)."""
    before = article.state
    getattr(article, name)()
    article.save()
    return record_event(
        f"article.{name}",
        actor=actor,
        obj=article,
        article_id=article.pk,
        before={"state": before},
        after={"state": article.state, "revision": article.current_revision.number, **(extra_after or {})},
        reason=comment,
    )


@service_transaction
def submit_article(article: Article, *, actor, comment: str = "") -> Article:
    article = lock_article(article)
    check_transition(article, "submit", actor)
    revision = article.current_revision
    report = check_citations(revision.rendered.citations, [r.number for r in revision.references.all()])
    if not report.complete:
        raise StateConflict(report.sentence(), "citations_incomplete", missing=report.missing, uncited=report.uncited)
    if article.first_submitted_at is None:
        article.first_submitted_at = timezone.now()
    event = _apply(article, "submit", actor=actor, comment=comment)
    with outbox.one_insert():
        checks.queue_checks(article, revision)  # the rules run in the task, not in this request
        notify(
            NotificationKind.SUBMITTED,
            event=event,
            recipients=[EVERY_EDITOR],
            article=article,
            exclude=actor,
            subject=f"Submitted: {revision.title}",
            body=f"Revision {revision.number} was submitted for review.",
        )
    return article


@service_transaction
def start_review(article: Article, *, actor, comment: str = "") -> Article:
    article = lock_article(article)
    check_transition(article, "start_review", actor)
    _apply(article, "start_review", actor=actor, comment=comment)
    return article


@service_transaction
def withdraw_article(article: Article, *, actor, comment: str = "") -> Article:
    article = lock_article(article)
    permissions.require_transition_role(article, "withdraw", actor)
    reason = require_reason(comment, "withdraw an article")  # 400 before 409 (API.md), as a reject does
    _check_state(article, "withdraw")
    _apply(article, "withdraw", actor=actor, comment=reason)
    stop_publishing(article, reason=f"The article was withdrawn: {reason}")
    return article


@service_transaction
def revise_article(article: Article, *, actor, comment: str = "") -> Article:
    article = lock_article(article)
    check_transition(article, "revise", actor)
    _apply(article, "revise", actor=actor, comment=comment)
    return article


REREVIEW_NOTICES = {
    RereviewReason.PERIODIC: (
        "Periodic re-review",
        "This approved article is due for its periodic review. Please confirm it is still accurate.",
    ),
    RereviewReason.CONCERN: (
        "Concern reopened",
        "A blocking concern on this approved article was reopened: it is under review again until the concern "
        "is resolved and the board approves it once more.",
    ),
    RereviewReason.RETRACTED_SOURCE: (
        "Cited source retracted",
        "A source this approved article cites was retracted: please review the article again.",
    ),
}


@service_transaction
def open_rereview(article: Article, *, actor=None) -> Article:
    """The periodic re-review of an approved article: a new round of decisions on the live revision.

    `actor` None is the scheduled system action; an editor may also open one early.
    """
    article = lock_article(article)
    if actor is not None:
        permissions.require_transition_role(article, "start_rereview", actor)
    _check_state(article, "start_rereview")
    return reopen_review(article, actor=actor, reason=RereviewReason.PERIODIC)


def reopen_review(article: Article, *, actor, reason: str, comment: str = "") -> Article:
    """Put an approved article back under review in a new round (the caller holds its lock and has checked
    who may cause it); the editors and the members who approved it are told why."""
    article.next_review_due = None
    article.rereview_reason = reason
    event = _apply(
        article,
        "start_rereview",
        actor=actor,
        comment=comment,
        extra_after={"round": article.review_round + 1, "reason": reason},
    )
    approvers = RevisionApproval.objects.filter(article=article).order_by("-id").first()
    people = {EVERY_EDITOR}
    if approvers is not None:
        people |= {d.reviewer_id for d in approvers.decisions.all()}
    heading, body = REREVIEW_NOTICES[reason]
    notify(
        NotificationKind.REREVIEW,
        event=event,
        recipients=people,
        article=article,
        exclude=actor,
        subject=f"{heading}: {article.current_revision.title}",
        body=f"{body} {comment}".strip(),
    )
    return article


def open_due_rereviews(today=None) -> int:
    """Open the re-reviews whose date has come (a daily scheduled task)."""
    today = today or timezone.now().date()
    due = Article.objects.filter(state=ArticleState.APPROVED, next_review_due__lte=today).values_list("pk", flat=True)
    opened = 0
    for pk in due:
        try:
            open_rereview(Article(pk=pk))
            opened += 1
        except EditorialError:
            continue  # moved on meanwhile
    return opened


def record_decision(
    article: Article,
    *,
    verdict: str,
    actor,
    comment: str = "",
    password: str | None = None,
    revision: int | None = None,
) -> Article:
    """A board member's signed decision on the revision they read (`revision`, its number); it may move the
    article. The revision must be the current one: a member whose page is out of date signs nothing.

    The answers come in API.md's order: 403 (who may decide), 429 (signing locked), 400 (the password, the
    revision, a reason to reject), then the password is checked, before the article's lock is taken (it is
    slow on purpose), then under the lock the 409s. A wrong password records only the failed attempt.
    """
    name = TRANSITION_FOR[verdict]
    permissions.require_may_decide(article, actor)
    attempts = signing.require_not_locked(actor)
    missing = {
        field: ["This field is required."]
        for field, value in (("password", password), ("revision", revision))
        if not value
    }
    if missing:
        needed = " and ".join(MISSING_FOR_SIGNATURE[field] for field in missing)
        verb = "are" if len(missing) > 1 else "is"
        raise InvalidInput(f"{needed[0].upper()}{needed[1:]} {verb} required to sign this decision.", errors=missing)
    if verdict == Verdict.REJECT:
        comment = require_reason(comment, "reject an article")
    if not actor.check_password(password):
        signing.record_failed_signature(article, actor, verdict=verdict, revision=revision)
        raise Forbidden("The password did not match; nothing was signed.", "signature_failed")
    signing.reset_failed_signatures(actor, attempts)
    with transaction.atomic():
        article = lock_article(article)
        # Again under the lock: an assignment or a declaration may have changed meanwhile.
        declaration_refusal, facts = permissions.require_may_decide(article, actor)
        current = article.current_revision
        if revision != current.number:
            raise StateConflict(
                f"You read revision {revision}, but revision {current.number} is current: read it before you "
                "sign. Nothing was signed.",
                "stale_revision",
                current_revision=current.number,
            )
        _check_decision_state(article, name, actor, declaration_refusal)
        return _record_signed_decision(article, name, verdict, actor, comment, facts)


def _record_signed_decision(article: Article, name: str, verdict: str, actor, comment: str, facts) -> Article:
    profile, declaration = facts.profile, facts.declaration
    revision = article.current_revision
    decision = Decision.objects.create(
        article=article,
        revision=revision,
        reviewer=actor,
        assignment=facts.assignment,
        conflict_declaration=declaration,
        verdict=verdict,
        comment=comment,
        signed_name=profile.display_name,
        signed_at=timezone.now(),
        meaning=Verdict(verdict).label,
        revision_hash=revision.content_hash,
        specialties=list(profile.specialties),
        round=article.review_round,
    )
    decision_event = record_event(
        f"decision.{verdict}",
        actor=actor,
        obj=decision,
        article_id=article.pk,
        after={
            "verdict": verdict,
            "revision": revision.number,
            "revision_hash": revision.content_hash,
            "signed_name": decision.signed_name,
            "signed_at": decision.signed_at.isoformat(),
            "meaning": decision.meaning,
            "conflict_declaration": declaration.pk,
        },
        reason=comment,
    )
    people = author_and_editors(article)
    notify(
        NotificationKind.DECISION,
        event=decision_event,
        recipients=people,
        article=article,
        exclude=actor,
        subject=f"{decision.signed_name}: {decision.meaning} — {revision.title}",
        body=comment or decision.meaning,
    )
    if verdict == Verdict.APPROVE:
        status = quorum_status(article, known={actor.pk: facts})
        article.known_quorum_status = status  # what the answer shows: not read again
        if status.met:
            _approve(article, actor, status, people)
    else:
        event = _apply(article, name, actor=actor, comment=comment)
        if verdict == Verdict.REQUEST_CHANGES:
            notify(
                NotificationKind.CHANGES_REQUESTED,
                event=event,
                recipients=people,
                article=article,
                exclude=actor,
                subject=f"Changes requested: {revision.title}",
                body=comment,
            )
        else:
            stop_publishing(article, reason=f"The board rejected this article: {comment}")
    return article


def _approve(article: Article, actor, status, people: set[int]) -> None:
    now = timezone.now()
    article.last_reviewed_at = now
    article.rereview_reason = ""
    article.next_review_due = (now + review_interval(article)).date()
    approval = RevisionApproval.objects.create(
        article=article,
        revision=article.current_revision,
        round=article.review_round,
        approved_at=now,
        approvers=[d.signed_name for d in status.approvals],
    )
    # One INSERT (the approval is new: nothing to compare with, as set() would).
    RevisionApproval.decisions.through.objects.bulk_create(
        [RevisionApproval.decisions.through(revisionapproval=approval, decision=d) for d in status.approvals]
    )
    # The event names the approval record, so verification can hold the record to it.
    event = _apply(
        article,
        "approve",
        actor=actor,
        extra_after={
            "approval": approval.pk,
            "round": approval.round,
            "decisions": [d.pk for d in status.approvals],
            "approvals": status.count,
            "approvers": [d.signed_name for d in status.approvals],
            "next_review_due": article.next_review_due.isoformat(),
        },
    )
    notify(
        NotificationKind.APPROVED,
        event=event,
        recipients={*people, *(d.reviewer_id for d in status.approvals)},  # the author, the editors, the approvers
        article=article,
        subject=f"Approved: {article.current_revision.title}",
        body="Approved by " + "; ".join(d.signature_line for d in status.approvals),
    )
