"""Reads of the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(*, article_id=None, actor_username=None, actions=None, since=None, until=None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("seq")
    if article_id is not None:
        events = events.filter(article_id=article_id)
    if actor_username:
        events = events.filter(actor__username=actor_username)
    if actions:
        events = events.filter(action__in=actions)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events
