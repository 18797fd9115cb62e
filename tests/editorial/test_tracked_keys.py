"""Cache keys held in the process while Redis reports their changes (editorial.tracked_keys), against a real
Redis: a change by any client drops the key, a value read while it changed is not kept, and without the
tracking connection nothing is held."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis

from editorial import tracked_keys
from editorial.redis_cache import RedisCache


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def cache(redis_test_url):
    return RedisCache(redis_test_url, {"KEY_PREFIX": f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def tracked(cache, redis_test_url):
    held = tracked_keys.TrackedKeys(redis_test_url, "token:", cache.make_key(""))
    assert tracked_keys.wait_until_live(held)
    yield held
    held.stop()


@pytest.fixture
def other_client(redis_test_url):
    """Another process's connection to the same Redis."""
    client = redis.Redis.from_url(redis_test_url)
    yield client
    client.close()


def store(tracked, cache, key, value):
    """Set a key and wait for Redis's report of that change (which would otherwise race the next read)."""
    before = tracked.generation()
    cache.set(key, value, None)
    assert wait_for(lambda: tracked.generation() != before)


def read_and_keep(tracked, cache, key):
    generation = tracked.generation()
    value = cache.get(key)
    tracked.keep(key, value, generation)
    return value


def test_a_value_is_held_until_another_client_changes_it(tracked, cache, other_client):
    store(tracked, cache, "token:a", "one")
    assert read_and_keep(tracked, cache, "token:a") == "one"
    assert tracked.known("token:a") == "one"

    other_client.set(cache.make_key("token:a"), b"anything")  # what another web process's write does

    assert wait_for(lambda: tracked.known("token:a") is None)


def test_keys_outside_the_prefix_are_not_held(tracked, cache):
    cache.set("page:a", "x", None)
    read_and_keep(tracked, cache, "page:a")
    assert tracked.known("page:a") is None


def test_a_value_read_while_it_changed_is_not_kept(tracked, cache, other_client):
    store(tracked, cache, "token:a", "old")
    generation = tracked.generation()
    stale = cache.get("token:a")
    other_client.set(cache.make_key("token:a"), b"new")  # changed after the read, before it is kept
    assert wait_for(lambda: tracked.generation() != generation)

    tracked.keep("token:a", stale, generation)

    assert tracked.known("token:a") is None


def test_the_process_that_changes_a_key_drops_it_at_once(tracked, cache):
    store(tracked, cache, "token:a", "one")
    read_and_keep(tracked, cache, "token:a")
    generation = tracked.generation()
    tracked.forget("token:a")  # what page_versions does right after its own write: no wait for Redis's report
    assert tracked.known("token:a") is None
    assert tracked.generation() != generation  # and a read that raced it is not kept


def test_without_the_tracking_connection_nothing_is_held(tracked, cache, other_client):
    store(tracked, cache, "token:a", "one")
    read_and_keep(tracked, cache, "token:a")
    lost_id = tracked.client_id

    other_client.client_kill_filter(_id=lost_id)  # a dropped connection, a Redis restart

    assert wait_for(lambda: not tracked.live)
    assert tracked.known("token:a") is None
    generation = tracked.generation()
    tracked.keep("token:a", "one", generation)
    assert tracked.known("token:a") is None  # not kept while nothing reports changes
    # It reconnects by itself, holding nothing from before.
    assert wait_for(lambda: tracked.live and tracked.client_id != lost_id)
    assert tracked.known("token:a") is None
    assert read_and_keep(tracked, cache, "token:a") == "one"
    assert tracked.known("token:a") == "one"


def test_a_flushed_database_drops_everything(tracked, cache):
    store(tracked, cache, "token:a", "one")
    read_and_keep(tracked, cache, "token:a")
    before = tracked.generation()
    tracked._drop(None)  # what the invalidation message of a FLUSHDB carries (never flushed here: shared Redis)
    assert tracked.generation() != before
    assert tracked.known("token:a") is None


def test_only_a_redis_cache_is_tracked(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert tracked_keys.for_cache("token:") is None
