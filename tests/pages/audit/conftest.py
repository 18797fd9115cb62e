import pytest

from tests.pages.editor import helpers


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """`publish(article, editor, **kwargs)` publishes and runs the task in-process."""

    def run(article, editor, **kwargs):
        return helpers.publish(django_capture_on_commit_callbacks, article, editor, **kwargs)

    return run
