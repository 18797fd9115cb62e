"""The Redis cache backend with one client per connection pool: the same behaviour as Django's, against a real
Redis, without a new client object for every operation."""

from __future__ import annotations

import os
import threading
import uuid

from editorial.redis_cache import RedisCache


def _cache(redis_test_url: str) -> RedisCache:
    return RedisCache(redis_test_url, {"KEY_PREFIX": f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"})


def test_it_stores_reads_and_deletes_like_djangos(redis_test_url):
    cache = _cache(redis_test_url)
    cache.set("page", {"token": "t1", "content": b"<html>"}, 60)
    assert cache.add("token", "t1", None) is True
    assert cache.add("token", "t2", None) is False  # add never replaces
    found = cache.get_many(["page", "token", "missing"])
    assert found == {"page": {"token": "t1", "content": b"<html>"}, "token": "t1"}
    cache.delete_many(["page", "token"])
    assert cache.get("page") is None


def test_every_operation_uses_the_same_client(redis_test_url):
    cache = _cache(redis_test_url)
    first = cache._cache.get_client("a")
    cache.set("a", 1, 60)
    assert cache._cache.get_client("b", write=True) is first
    seen = []
    thread = threading.Thread(target=lambda: seen.append(cache._cache.get_client("c")))
    thread.start()
    thread.join()
    assert seen == [first]  # shared with threads: redis-py's client and pool are thread-safe
    cache.delete("a")
