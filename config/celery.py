"""The Celery application; with no broker configured, tasks run in-process."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_unusable_connections(sender=None, **kwargs) -> None:
    """Around each task, close the database connections that are broken, in a transaction or past
    CONN_MAX_AGE, as Django does around each request; the others are kept (health-checked before reuse).

    Celery's own Django fix-up closes every connection around every task (CELERY_DB_REUSE_MAX, set high in
    the settings, turns that off): a new PostgreSQL connection a task cost more than most tasks do.
    """
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
