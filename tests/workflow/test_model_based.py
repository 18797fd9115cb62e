"""A model-based test of the whole lifecycle: random sequences of every operation, by every role, valid or not,
and after each step the public truth is checked against the signed records.

After every step, for every published version: the review status the page, its JSON-LD and the API show,
the reviewers' names and the review date, and the plain-language summary are exactly what the signed
records support (an approval whose decisions sign that revision's content hash, not withdrawn by a later
round); and the audit trail verifies (chain, checkpoints, records). The oracle below reads the records
directly; it does not call the selectors the pages use.

CI runs a bounded number of examples (MODEL_EXAMPLES, default 8, each up to 30 steps), derandomized under
CI=true (tests/conftest.py's "ci" profile: the same sequences every run, so a red CI reproduces). A longer
exploration: `MODEL_EXAMPLES=300 bin/test tests/workflow/test_model_based.py` (bench/model_based.sh).
"""

from __future__ import annotations

import datetime
import os

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from articles.models import Article, PublishedVersion, PublishRequest, PublishRequestStatus, Revision
from editorial.checkpoints import checkpoint_dir, write_checkpoint
from editorial.exceptions import EditorialError
from editorial.services import annotations as annotation_services
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import publishing, workflow
from editorial.verification import verify_audit
from reviewers.models import Annotation, Decision, RevisionApproval
from tests.factories import PASSWORD, make_user
from tests.pages.public.helpers import json_ld, stepper_status

pytestmark = [pytest.mark.django_db, pytest.mark.one_database]

EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "8"))
STEPS = int(os.environ.get("MODEL_STEPS", "30"))
REFERENCES = [{"kind": "guideline", "citation": "A guideline on statins", "year": 2019}]
BODIES = ["Statins lower LDL cholesterol [1].", "Statins lower cholesterol in most adults [1].", "No citation here."]
SUMMARIES = ["", "Statins are cholesterol medicines.", "Statins lower the chance of a heart attack."]
REFUSALS = ("request_changes", "reject")
# How far the examples got, so that a run that never reached a published, approved version fails.
REACHED = {"versions": 0, "approved_versions": 0, "scheduled_versions": 0, "refusals": 0}


def expected_truth(revision: Revision) -> tuple[str, RevisionApproval | None]:
    """The oracle: what the signed records support for this revision now."""
    decisions = list(Decision.objects.filter(revision=revision))
    refused_round = max((d.round for d in decisions if d.verdict in REFUSALS), default=0)
    standing = None
    for approval in RevisionApproval.objects.filter(revision=revision).order_by("round"):
        signed = list(approval.decisions.all())
        # Every decision of an approval signs exactly this revision's content, in that round.
        assert signed and all(
            d.verdict == "approve" and d.revision_id == revision.pk and d.round == approval.round for d in signed
        )
        assert all(d.revision_hash == revision.content_hash == revision.compute_content_hash() for d in signed)
        assert sorted(approval.approvers) == sorted(d.signed_name for d in signed)
        if approval.round >= refused_round:
            standing = approval
    article = revision.article
    if standing is not None:
        return "approved", standing
    in_review = revision.pk == article.current_revision_id and article.state in ("under_review", "changes_requested")
    return ("under_review" if decisions or in_review else "submitted"), None


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        cache.clear()  # rendered versions are cached by id, and ids repeat from one example to the next
        for path in checkpoint_dir().glob("checkpoint-*.json") if checkpoint_dir().is_dir() else ():
            path.unlink()
        self.users = {
            "author": make_user("author", username="m_author"),
            "editor": make_user("editor", username="m_editor"),
            "auditor": make_user("auditor", username="m_auditor"),
            "board1": make_user("board", username="m_board1", display_name="Jane Roe, MD", specialties=["cardiology"]),
            "board2": make_user("board", username="m_board2", display_name="Sam Lee, MD", specialties=["oncology"]),
        }
        self.articles: list[int] = []
        self.client = Client()
        self.created = 0

    def teardown(self) -> None:
        REACHED["versions"] += PublishedVersion.objects.count()
        REACHED["scheduled_versions"] += PublishedVersion.objects.filter(request__publish_at__isnull=False).count()
        REACHED["approved_versions"] += sum(
            1 for v in PublishedVersion.objects.select_related("revision") if expected_truth(v.revision)[1]
        )
        REACHED["refusals"] += Decision.objects.filter(verdict__in=REFUSALS).count()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # -- helpers ------------------------------------------------------------------------------------------

    def attempt(self, service, *args, **kwargs) -> None:
        """Call one service as a user would; a refusal (an EditorialError) is a valid outcome."""
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                service(*args, **kwargs)
        except EditorialError:
            pass

    def article(self, data) -> Article:
        return Article.objects.select_related("current_revision").get(pk=data.draw(st.sampled_from(self.articles)))

    def user(self, data, *names):
        """One of `names`; the first (the user the step is meant for) three times as likely as each other."""
        names = names or tuple(self.users)
        return self.users[data.draw(st.sampled_from([names[0], names[0], *names]))]

    # -- operations -----------------------------------------------------------------------------------------

    @initialize(
        data=st.data(),
        stages=st.lists(st.integers(0, 9), min_size=1, max_size=2),
        summary=st.sampled_from(SUMMARIES[1:]),
    )
    def start_with_articles_along_the_way(self, data, stages, summary):
        """Random sequences alone rarely get far; each example starts with articles some way along."""
        for stage in stages:
            self.created += 1
            article = article_services.create_article(
                actor=self.users["author"],
                title=f"Question {self.created}?",
                body=BODIES[0],
                references=REFERENCES,
                plain_language_summary=summary,
                publication_policy=data.draw(st.sampled_from(["after_approval", "immediate"])),
            )
            self.articles.append(article.pk)
            for _ in range(stage):
                self.step_forward(Article.objects.select_related("current_revision").get(pk=article.pk))

    @precondition(lambda self: len(self.articles) < 3)
    @rule(data=st.data(), summary=st.sampled_from(SUMMARIES), quorum=st.sampled_from([1, 1, 2]))
    def create(self, data, summary, quorum):
        self.created += 1
        try:
            article = article_services.create_article(
                actor=self.user(data, "author", "editor", "board1"),
                title=f"Question {self.created}?",
                body=BODIES[0],
                references=REFERENCES,
                plain_language_summary=summary,
                quorum=quorum,
                publication_policy=data.draw(st.sampled_from(["after_approval", "immediate"])),
            )
        except EditorialError:
            return
        self.articles.append(article.pk)

    @precondition(lambda self: self.articles)
    @rule(data=st.data(), field=st.sampled_from(["title", "body", "plain_language_summary", "references"]))
    def edit(self, data, field):
        value = {
            "title": data.draw(st.sampled_from(["Do statins help?", "Are statins safe?"])),
            "body": data.draw(st.sampled_from(BODIES)),
            "plain_language_summary": data.draw(st.sampled_from(SUMMARIES)),
            "references": data.draw(st.sampled_from([REFERENCES, REFERENCES * 2])),
        }[field]
        self.attempt(
            article_services.edit_article,
            self.article(data),
            actor=self.user(data, "author", "editor", "board1"),
            **{field: value},
        )

    @precondition(lambda self: self.articles)
    @rule(data=st.data(), name=st.sampled_from(["submit", "start_review", "revise", "withdraw"]))
    def transition(self, data, name):
        meant = "editor" if name == "start_review" else "author"
        self.attempt(
            workflow.take_transition,
            self.article(data),
            name,
            actor=self.user(data, meant, "author", "editor", "auditor"),
            comment="A reason for the record",
        )

    @precondition(lambda self: self.articles)
    @rule(data=st.data(), steps=st.integers(1, 4))
    def advance(self, data, steps):
        """The steps the article's state calls for, by the users meant to take them: reaches the deep states."""
        pk = data.draw(st.sampled_from(self.articles))
        for _ in range(steps):
            self.step_forward(Article.objects.select_related("current_revision").get(pk=pk))

    def step_forward(self, article: Article) -> None:
        board1 = self.users["board1"]
        if article.state == "draft":
            self.attempt(workflow.submit_article, article, actor=self.users["author"])
        elif article.state == "submitted":
            self.attempt(assignment_services.assign_reviewer, article, actor=self.users["editor"],
                         reviewer_username=board1.username)  # fmt: skip
            self.attempt(assignment_services.declare_conflict, article, actor=board1, has_conflict=False)
            self.attempt(workflow.start_review, article, actor=self.users["editor"])
        elif article.state == "under_review":
            for open_blocking in Annotation.objects.filter(article=article).open_blocking():
                self.attempt(annotation_services.resolve_annotation, open_blocking, actor=self.users["editor"])
            for member in (board1, self.users["board2"]):
                self.attempt(
                    workflow.record_decision,
                    Article.objects.get(pk=article.pk),
                    verdict="approve",
                    actor=member,
                    password=PASSWORD,
                    revision=article.current_revision.number,
                )
        elif article.state in ("approved", "changes_requested"):
            self.attempt(publishing.request_publication, article, actor=self.users["editor"])
            if article.state == "changes_requested":
                self.attempt(workflow.revise_article, article, actor=self.users["author"])

    @precondition(lambda self: self.articles)
    @rule(data=st.data())
    def assign_and_declare(self, data):
        article, member = self.article(data), self.user(data, "board1", "board2", "author")
        self.attempt(assignment_services.assign_reviewer, article, actor=self.users["editor"],
                     reviewer_username=member.username)  # fmt: skip
        conflict = data.draw(st.sampled_from([False, False, True]))
        self.attempt(
            assignment_services.declare_conflict, article, actor=member, has_conflict=conflict, statement="Shares"
        )

    @precondition(lambda self: self.articles)
    @rule(
        data=st.data(),
        verdict=st.sampled_from(["approve", "approve", "request_changes", "reject"]),
        stale=st.booleans(),
        wrong_password=st.sampled_from([False, False, False, True]),
    )
    def decide(self, data, verdict, stale, wrong_password):
        article = self.article(data)
        number = article.current_revision.number - (1 if stale and article.current_revision.number > 1 else 0)
        self.attempt(
            workflow.record_decision,
            article,
            verdict=verdict,
            actor=self.user(data, "board1", "board2", "editor"),
            password="wrong" if wrong_password else PASSWORD,
            revision=number,
            comment="Checked",
        )

    @precondition(lambda self: self.articles)
    @rule(data=st.data())
    def raise_concern(self, data):
        article = self.article(data)
        text = article.current_revision.text
        self.attempt(
            annotation_services.add_annotation,
            article,
            actor=self.user(data, "board1", "board2", "editor"),
            revision_number=article.current_revision.number,
            kind="safety",
            body="Dose unclear",
            selectors={"exact": text[:7], "start": 0, "end": min(7, len(text))},
        )

    @precondition(lambda self: Annotation.objects.exists())
    @rule(data=st.data(), reopen=st.booleans())
    def resolve_or_reopen(self, data, reopen):
        annotation = Annotation.objects.get(
            pk=data.draw(st.sampled_from(list(Annotation.objects.values_list("pk", flat=True))))
        )
        service = annotation_services.reopen_annotation if reopen else annotation_services.resolve_annotation
        self.attempt(service, annotation, actor=self.user(data, "author", "editor", "board1", "board2"))

    @precondition(lambda self: self.articles)
    @rule(data=st.data(), which=st.sampled_from([None, None, 1]))
    def publish(self, data, which):
        self.attempt(publishing.request_publication, self.article(data), actor=self.user(data, "editor", "author"),
                     revision_number=which)  # fmt: skip

    @precondition(lambda self: self.articles)
    @rule(data=st.data())
    def schedule(self, data):
        """A publication for later: whatever happens to the article meanwhile, `time_passes` decides."""
        self.attempt(publishing.request_publication, self.article(data), actor=self.user(data, "editor", "author"),
                     publish_at=timezone.now() + datetime.timedelta(hours=1))  # fmt: skip

    @precondition(lambda self: PublishRequest.objects.filter(status=PublishRequestStatus.SCHEDULED).exists())
    @rule()
    def time_passes(self):
        """The scheduled time comes: what is due is queued and published, if it still may be."""
        self.attempt(publishing.queue_due_publications, timezone.now() + datetime.timedelta(hours=2))

    @precondition(lambda self: self.articles)
    @rule(data=st.data())
    def retract(self, data):
        self.attempt(publishing.retract_live_version, self.article(data), actor=self.users["editor"], reason="Wrong")

    @precondition(lambda self: self.articles)
    @rule(data=st.data())
    def rereview(self, data):
        self.attempt(workflow.open_rereview, self.article(data), actor=self.user(data, "editor", "author"))

    @rule()
    def checkpoint(self):
        write_checkpoint()

    # -- what must hold after every step -----------------------------------------------------------------

    @invariant()
    def the_public_truth_is_what_was_signed(self):
        for version in PublishedVersion.objects.select_related("article", "revision").order_by("pk"):
            status, approval = expected_truth(version.revision)
            article = version.article
            response = self.client.get(f"/articles/{article.slug}/v/{version.number}/")
            if version.retracted_at is not None:
                assert response.status_code == 410
                continue
            assert response.status_code == 200
            html = response.content.decode()
            assert stepper_status(html) == status, (version, status)
            data = json_ld(html)
            summary = version.revision.plain_language_summary.strip()
            assert data.get("description", "") == summary[:500]
            if approval is None:
                assert "reviewedBy" not in data and 'class="reviewed-by"' not in html
            else:
                assert [p["name"] for p in data["reviewedBy"]] == list(approval.approvers)
                reviewed_by = html.split('class="reviewed-by"')[1].split("</p>")[0]
                assert all(name in reviewed_by for name in approval.approvers)
                assert f"{approval.approved_at:%-d %B %Y}" in reviewed_by

    @invariant()
    def the_audit_trail_verifies(self):
        result = verify_audit()
        assert result["ok"], result


def test_random_lifecycles_keep_the_public_truth(db):
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print("reached:", REACHED)
    assert REACHED["approved_versions"] > 0, REACHED
