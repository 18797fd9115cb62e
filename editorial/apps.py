"""The editorial app: services, audit trail, outbox, pages and API."""

from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Editorial workflow"

    def ready(self) -> None:
        # The modules that register outbox handlers, so that a relay or a worker finds every kind.
        from . import checks, notifications  # noqa: F401
        from .api import schema  # noqa: F401  (its security scheme must be known before a schema is made)
        from .services import checks as check_services  # noqa: F401
        from .services import publishing, retractions  # noqa: F401
