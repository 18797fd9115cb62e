"""Racing writers on PostgreSQL: real commits, one connection per thread, a barrier (RELIABILITY.md §5).

`select_for_update` on the article and on the chain head serialises the writers; these tests check
that exactly one of several racing decisions wins, that the losers get a 409 and nothing else, and
that the audit chain stays gapless and unforked.
"""

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article, ArticleState
from editorial.audit import verify_chain
from editorial.exceptions import EditorialError
from editorial.models import AuditEvent
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from reviewers.models import Decision
from tests.concurrency.threads import run_in_threads
from tests.factories import PASSWORD, make_article, make_user, reviewed_article, sign_decision, submitted_article

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> tuple[list, list]:
    """Split thread results into successes and 409s; anything else fails the test."""
    wins, conflicts = [], []
    for result in results:
        if isinstance(result, EditorialError) and result.status_code == 409:
            conflicts.append(result)
        elif isinstance(result, BaseException):
            raise AssertionError(f"a racer failed with {type(result).__name__}: {result}") from result
        else:
            wins.append(result)
    return wins, conflicts


def assert_chain_gapless_and_unforked():
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    assert len({prev for _, prev, _ in rows}) == len(rows), "two events share a prev_hash: the chain forked"
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    result = verify_chain()
    assert result.ok, result
    assert result.checked == len(rows)


def decide(article_id: int, username: str, verdict: str):
    member = get_user_model().objects.get(username=username)
    article = Article.objects.get(pk=article_id)
    return sign_decision(article, verdict=verdict, actor=member, comment="Reviewed", password=PASSWORD)


def test_eight_members_approve_at_once_and_exactly_one_approval_moves_the_article():
    author, editor = make_user("author", username="author"), make_user("editor", username="editor")
    members = [make_user("board", username=f"member{i}") for i in range(8)]
    article = reviewed_article(author, editor, members)  # quorum 1
    assert article.state == ArticleState.UNDER_REVIEW

    results = run_in_threads(len(members), lambda i: decide(article.pk, members[i].username, "approve"))

    wins, conflicts = outcomes(results)
    assert len(wins) == 1 and len(conflicts) == len(members) - 1
    assert {c.code for c in conflicts} <= {"invalid_transition", "concurrent_change"}
    article.refresh_from_db()
    assert article.state == ArticleState.APPROVED
    assert AuditEvent.objects.filter(action="article.approve", article_id=article.pk).count() == 1
    assert AuditEvent.objects.filter(action="decision.approve", article_id=article.pk).count() == 1
    assert Decision.objects.filter(article=article).count() == 1
    winner = AuditEvent.objects.get(action="article.approve")
    assert winner.actor == Decision.objects.get(article=article).reviewer
    assert_chain_gapless_and_unforked()


def test_approve_and_request_changes_race_and_the_state_matches_the_single_audited_winner():
    author, editor = make_user("author", username="author"), make_user("editor", username="editor")
    approver, critic = make_user("board", username="approver"), make_user("board", username="critic")
    seen = set()
    for round_ in range(20):
        article = reviewed_article(author, editor, [approver, critic], title=f"Question {round_}?")
        racers = [(approver.username, "approve"), (critic.username, "request_changes")]
        if round_ % 2:
            racers.reverse()

        results = run_in_threads(2, lambda i, a=article.pk, r=racers: decide(a, *r[i]))

        wins, conflicts = outcomes(results)
        assert (len(wins), len(conflicts)) == (1, 1), f"round {round_}: {results}"
        article.refresh_from_db()
        outcome_events = list(
            AuditEvent.objects.filter(article_id=article.pk, action__in=["article.approve", "article.request_changes"])
        )
        assert len(outcome_events) == 1, f"round {round_}: {[e.action for e in outcome_events]}"
        winner = outcome_events[0]
        expected_state = {"article.approve": ArticleState.APPROVED,
                          "article.request_changes": ArticleState.CHANGES_REQUESTED}[winner.action]  # fmt: skip
        assert article.state == expected_state
        assert winner.after["state"] == article.state
        assert wins[0].state == article.state
        decisions = list(Decision.objects.filter(article=article))
        assert len(decisions) == 1 and decisions[0].reviewer_id == winner.actor_id
        assert not AuditEvent.objects.filter(article_id=article.pk, action="article.reject").exists()
        seen.add(winner.action)
    print(f"winners seen over 20 rounds: {sorted(seen)}")
    assert_chain_gapless_and_unforked()


def test_twenty_threads_appending_ten_events_each_keep_the_chain_gapless():
    author = make_user("author", username="author")
    members = [make_user("board", username=f"member{i}") for i in range(20)]
    # One article per member: only the chain head serialises the appends, not an article row lock.
    articles = [submitted_article(author, title=f"Question {i}?") for i in range(20)]
    before = AuditEvent.objects.count()

    def declare_ten(i: int) -> int:
        member = get_user_model().objects.get(pk=members[i].pk)
        for n in range(10):
            conflicted = n % 2 == 1
            statement = f"Consults for sponsor {n}" if conflicted else ""
            assignment_services.declare_conflict(articles[i], actor=member, has_conflict=conflicted,
                                                 statement=statement)  # fmt: skip
        return 10

    results = run_in_threads(20, declare_ten)

    assert results == [10] * 20, [r for r in results if r != 10]
    assert AuditEvent.objects.count() == before + 200
    assert AuditEvent.objects.filter(action="conflict.declare").count() == 200
    for member in members:
        assert AuditEvent.objects.filter(action="conflict.declare", actor=member).count() == 10
    assert_chain_gapless_and_unforked()


def test_twenty_threads_on_one_article_keep_the_chain_gapless():
    author = make_user("author", username="author")
    members = [make_user("board", username=f"member{i}") for i in range(20)]
    article = submitted_article(author)

    def declare_five(i: int) -> int:
        member = get_user_model().objects.get(pk=members[i].pk)
        for _ in range(5):
            assignment_services.declare_conflict(article, actor=member, has_conflict=False)
        return 5

    assert run_in_threads(20, declare_five) == [5] * 20
    assert AuditEvent.objects.filter(action="conflict.declare", article_id=article.pk).count() == 100
    assert_chain_gapless_and_unforked()


def test_verifying_while_events_are_appended_never_reports_a_break():
    """An auditor verifying during normal work must not see a false alarm."""
    author = make_user("author", username="author")
    members = [make_user("board", username=f"member{i}") for i in range(6)]
    articles = [submitted_article(author, title=f"Question {i}?") for i in range(6)]
    writers = len(members)

    def work(i: int):
        if i < writers:
            member = get_user_model().objects.get(pk=members[i].pk)
            for _ in range(15):
                assignment_services.declare_conflict(articles[i], actor=member, has_conflict=False)
            return "written"
        reports = []
        while len(reports) < 40:
            reports.append(verify_chain())
        return reports

    results = run_in_threads(writers + 2, work)

    assert results[:writers] == ["written"] * writers, results[:writers]
    for reports in results[writers:]:
        assert not isinstance(reports, BaseException), reports
        broken = [r for r in reports if not r.ok]
        assert broken == [], broken[:3]
    assert_chain_gapless_and_unforked()


def test_racing_creates_with_the_same_title_get_distinct_slugs():
    """More racers than the numbered slugs can settle in a few rounds: a clash falls back to a random suffix."""
    racers = 24
    author = make_user("author", username="author")
    results = run_in_threads(racers, lambda i: make_article(author, title="Do statins prevent heart attacks?"))

    wins, _ = outcomes(results)
    assert len(wins) == racers, [r for r in results if isinstance(r, BaseException)][:3]
    slugs = sorted(Article.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == racers and "do-statins-prevent-heart-attacks" in slugs
    assert AuditEvent.objects.filter(action="article.create").count() == racers
    assert_chain_gapless_and_unforked()


def test_racing_edits_based_on_the_same_revision_one_wins_the_other_gets_409():
    author = make_user("author", username="author")
    article = make_article(author)

    def edit(i: int):
        return article_services.edit_article(Article.objects.get(pk=article.pk), actor=author,
                                             body=f"Racer {i} wrote this.", base_revision=1)  # fmt: skip

    wins, conflicts = outcomes(run_in_threads(4, edit))
    assert (len(wins), len(conflicts)) == (1, 3)
    assert {c.code for c in conflicts} == {"concurrent_change"}
    article.refresh_from_db()
    assert article.current_revision.number == 2
    assert AuditEvent.objects.filter(action="revision.create").count() == 1
    assert_chain_gapless_and_unforked()
