"""Role checks shared by the services and the API (which checks them before it reads the body: 403 before 400)."""

from __future__ import annotations

from articles.models import Article, can_manage_article
from reviewers.selectors import board_profile

from .exceptions import Forbidden


def require_can_create_article(actor) -> None:
    if not actor.has_perm("articles.add_article"):
        raise Forbidden("Only authors and editors can create articles.")


def require_can_edit(article: Article, actor) -> None:
    if not can_manage_article(article, actor):
        raise Forbidden("Only the article's author or an editor can edit it.")


def require_can_assign(actor) -> None:
    if not actor.has_perm("reviewers.add_assignment"):
        raise Forbidden("Only editors can assign reviewers.")


def require_board_member(actor) -> None:
    if not actor.has_perm("reviewers.add_conflictdeclaration") or board_profile(actor) is None:
        raise Forbidden("Only board members declare conflicts of interest.")


def require_can_publish(actor) -> None:
    if not actor.has_perm("articles.publish_article"):
        raise Forbidden("Only editors can publish, schedule, cancel and retract.")
