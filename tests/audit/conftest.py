import pytest

from tests.audit.builders import drop_append_only_triggers


@pytest.fixture
def no_triggers(db):
    """The append-only triggers dropped for this test (rolled back with it)."""
    drop_append_only_triggers()
