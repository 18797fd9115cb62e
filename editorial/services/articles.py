"""Creating articles and editing them: every edit makes a new, immutable revision."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from articles.models import EDITABLE_STATES, Article
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import Forbidden, InvalidInput, StateConflict

from .common import lock_article, service_transaction
from .revisions import RevisionContent, make_new_revision, make_revision

SETTINGS_FIELDS = (
    "topic",
    "quorum",
    "required_specialties",
    "publication_policy",
    "review_interval_days",
    "doses_need_verification",
)
# The reviewed content: a change to any of them is a new revision.
CONTENT_FIELDS = ("title", "body", "references", "plain_language_summary")
# Fields only an editor may change after creation: they decide how strict the review is.
EDITOR_ONLY_FIELDS = (
    "quorum",
    "required_specialties",
    "publication_policy",
    "review_interval_days",
    "doses_need_verification",
)


SLUG_ATTEMPTS = 5  # after the first clash the suffix is random: a second clash is a 1 in 4 billion event


def _unique_slug(title: str, *, racing: bool = False) -> str:
    """The title's slug, numbered after those taken; when a concurrent create took the same one, a random
    suffix (numbering again would race again)."""
    base = slugify(title)[:100].strip("-") or "article"
    if racing:
        return f"{base}-{secrets.token_hex(4)}"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_article(
    *,
    actor,
    title: str,
    body: str,
    references: list[dict],
    topic: str = "",
    quorum: int = 1,
    required_specialties: list[str] | None = None,
    publication_policy: str = "after_approval",
    plain_language_summary: str = "",
    source: dict | None = None,
    doses_need_verification: bool = False,
) -> Article:
    """Create an article in `draft` with revision 1.

    Two creates of one title may race for its slug (PostgreSQL refuses the second INSERT): the loser tries
    again with a random suffix. Called on its own, the whole transaction is tried again (no savepoint);
    inside a caller's transaction, each INSERT gets a savepoint instead.
    """
    permissions.require_can_create_article(actor)
    content = RevisionContent(title, body, references, plain_language_summary, source)  # refuses a bad title
    settings_values = {
        "topic": topic,
        "quorum": quorum,
        "required_specialties": list(required_specialties or []),
        "publication_policy": publication_policy,
        "doses_need_verification": doses_need_verification,
    }
    nested = connection.in_atomic_block
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                return _create(actor, content, settings_values, racing=attempt > 0, savepoint=nested)
        except IntegrityError:  # a concurrent create of the same title took the slug
            if attempt == SLUG_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _create(actor, content: RevisionContent, settings_values: dict, *, racing: bool, savepoint: bool) -> Article:
    fields = {"slug": _unique_slug(content.title, racing=racing), "created_by": actor, **settings_values}
    if savepoint:
        with transaction.atomic():
            article = Article.objects.create(**fields)
    else:
        article = Article.objects.create(**fields)
    revision = make_revision(article, number=1, author=actor, content=content, change_summary="First draft")
    article.current_revision = revision
    article.save(update_fields=["current_revision"])
    record_event(
        "article.create",
        actor=actor,
        obj=article,
        article_id=article.pk,
        after={
            "state": article.state,
            "slug": article.slug,
            "title": content.title,
            "revision": 1,
            "content_hash": revision.content_hash,
            "source": revision.source_dict(),
            **{f: getattr(article, f) for f in SETTINGS_FIELDS},
        },
    )
    return article


@service_transaction
def edit_article(
    article: Article,
    *,
    actor,
    title: str | None = None,
    body: str | None = None,
    references: list[dict] | None = None,
    plain_language_summary: str | None = None,
    source: dict | None = None,
    change_summary: str = "",
    base_revision: int | None = None,
    **settings_changes,
) -> Article:
    """Make a new revision from the changed content, and/or change the article's review settings.

    The title, body, references and plain-language summary are what readers are shown as reviewed: a
    change to any of them is a new revision, made only while the content may change (draft, or after
    changes were requested), so that the board reviews and signs it.
    """
    article = lock_article(article)
    permissions.require_can_edit(article, actor)
    unknown = set(settings_changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if not permissions.can_edit_any_article(actor):
        editor_only = [f for f in EDITOR_ONLY_FIELDS if f in settings_changes]
        if editor_only:
            raise Forbidden(f"Only an editor can change {', '.join(editor_only)}.")
    changes = {"title": title, "body": body, "references": references, "plain_language_summary": plain_language_summary}
    changed = [name for name in CONTENT_FIELDS if changes[name] is not None]
    if not changed and not settings_changes:
        raise InvalidInput("Nothing to change.")
    if changed and article.state not in EDITABLE_STATES:
        raise StateConflict(
            f"An article that is {article.get_state_display().lower()} cannot be edited; "
            "edit it in draft or after changes were requested.",
            "invalid_transition",
        )
    current = article.current_revision
    if base_revision is not None and base_revision != current.number:
        raise StateConflict(
            f"This edit was based on revision {base_revision}, but revision {current.number} is current.",
            "concurrent_change",
        )
    if settings_changes:
        before = {f: getattr(article, f) for f in settings_changes}
        for name, value in settings_changes.items():
            setattr(article, name, value)
        article.save(update_fields=[*settings_changes, "updated_at"])
        record_event(
            "article.settings",
            actor=actor,
            obj=article,
            article_id=article.pk,
            before=before,
            after={f: getattr(article, f) for f in settings_changes},
        )
    if changed:
        content = RevisionContent.of(
            current, title=title, body=body, references=references, summary=plain_language_summary, source=source
        )
        make_new_revision(article, actor=actor, content=content, change_summary=change_summary, changed=changed)
    return article
