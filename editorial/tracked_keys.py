"""Keys of the shared Redis cache held in this process's memory, dropped the moment Redis says they changed.

A public page served from the cache must still show a publication, a retraction or a decision at once, so
its token was read from Redis on every request: one round trip per page, most of what such a page costs.
Redis (6 and later) tells a connection that asks (CLIENT TRACKING in broadcast mode, for a key prefix) about
every change to a key under that prefix, by any client. One background thread per process keeps such a
connection and drops each changed key from this process's memory as the message arrives, so a token held
here is the one in Redis, and reading it costs no round trip.

- A value read from Redis is kept only if no change was reported while it was being read: a change that
  races the read wins.
- The process that makes a change also drops the key itself (`forget`), at once, not when the message
  comes back.
- Without a live tracking connection (starting, lost, reconnecting, or a cache that is not Redis) nothing
  is held: every read goes to Redis, as before. A connection that falls silent is noticed by a heartbeat
  within twice HEARTBEAT seconds, which bounds how long a change can go unseen in a network partition.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.connection import Connection, parse_url

log = logging.getLogger("editorial.tracked_keys")

HEARTBEAT = 1.0  # seconds of silence before the connection is pinged; as long again for the answer
RECONNECT_PAUSE = 1.0
INVALIDATE_CHANNEL = "__redis__:invalidate"


class TrackedKeys:
    """Values of the cache keys under `prefix`, held while Redis reports every change to them."""

    def __init__(self, url: str, key_prefix: str, made_prefix: str) -> None:
        self.url = url
        self.key_prefix = key_prefix  # the cache's own key (Django's, before make_key)
        self._made_root = made_prefix  # what make_key puts before a key ("<KEY_PREFIX>:<VERSION>:")
        self._values: dict[str, object] = {}
        self._lock = threading.Lock()
        self._generation = 0  # moves on every reported change: a read that saw it move is not kept
        self.live = False
        self._pid: int | None = None
        self._stopping = threading.Event()
        self._connection = None
        self.client_id: int | None = None  # the tracking connection's, in Redis

    # --- reading and writing (request threads) --------------------------------------------------------

    def known(self, key: str):
        """The value held for `key`, or None (then read it from the cache and `keep` it)."""
        self._ensure_running()
        return self._values.get(key) if self.live else None

    def generation(self) -> int:
        """Take this before reading a key from the cache, and hand it to `keep` after."""
        return self._generation

    def keep(self, key: str, value, generation: int) -> None:
        """Hold a value just read from the cache, unless a change was reported since `generation`."""
        if value is None or not key.startswith(self.key_prefix):
            return
        with self._lock:
            if self.live and self._generation == generation:
                self._values[key] = value

    def forget(self, key: str) -> None:
        """This process changed `key`: stop holding it now (the message from Redis would come a moment later)."""
        with self._lock:
            self._generation += 1
            self._values.pop(key, None)

    # --- the tracking connection (one thread per process) ---------------------------------------------

    def _ensure_running(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            # A new process (a fork of the one that started it): nothing held, a thread and connection of its own.
            self._pid, self.live, self._values = pid, False, {}
            self._stopping = threading.Event()
            threading.Thread(target=self._run, name="tracked-keys", daemon=True).start()

    def stop(self) -> None:
        """End the thread (tests)."""
        self._stopping.set()
        connection = self._connection
        if connection is not None:
            connection.disconnect()

    def _drop(self, keys) -> None:
        with self._lock:
            self._generation += 1
            if keys is None:  # the database was flushed
                self._values.clear()
                return
            root = len(self._made_root)
            for made in keys:
                made = made.decode() if isinstance(made, bytes) else made
                self._values.pop(made[root:], None)

    def _not_live(self) -> None:
        with self._lock:
            self.live = False
            self._generation += 1
            self._values.clear()

    def _connect(self):
        kwargs = parse_url(self.url)
        connection_class = kwargs.pop("connection_class", Connection)
        connection = connection_class(**kwargs, socket_timeout=2 * HEARTBEAT, socket_connect_timeout=2, protocol=2)
        connection.connect()
        connection.send_command("CLIENT", "ID")
        client_id = self.client_id = connection.read_response()
        # RESP2: the connection redirects the invalidation messages to itself and reads them as a subscriber.
        prefix = self._made_root + self.key_prefix
        connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", prefix)
        if connection.read_response() not in (b"OK", "OK"):
            raise redis.ConnectionError("CLIENT TRACKING refused")
        connection.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
        connection.read_response()
        return connection

    def _run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            connection = None
            try:
                connection = self._connection = self._connect()
                with self._lock:
                    self._generation += 1
                    self._values.clear()  # what changed while no connection listened is unknown
                    self.live = True
                while not stopping.is_set():
                    if not connection.can_read(timeout=HEARTBEAT):
                        connection.send_command("PING")
                        if not connection.can_read(timeout=HEARTBEAT):
                            raise redis.TimeoutError("no answer to the heartbeat")
                    message = connection.read_response()
                    if isinstance(message, list) and len(message) == 3 and message[0] in (b"message", "message"):
                        self._drop(message[2])
            except Exception as error:  # any failure: hold nothing, read from Redis, reconnect
                if not stopping.is_set():
                    log.warning("cache key tracking lost (%s); reading from Redis until it is back", error)
            finally:
                self._not_live()
                if connection is not None:
                    connection.disconnect()
            stopping.wait(RECONNECT_PAUSE)


_instances: dict[tuple, TrackedKeys | None] = {}
_instances_lock = threading.Lock()


def for_cache(key_prefix: str, alias: str = "default") -> TrackedKeys | None:
    """The tracked keys under `key_prefix` of the cache `alias`, or None when that cache is not Redis (or
    EDITORIAL_TRACK_CACHE_KEYS is off): then the caller reads the cache every time."""
    config = settings.CACHES.get(alias, {})
    identity = (alias, key_prefix, config.get("BACKEND"), str(config.get("LOCATION")), config.get("KEY_PREFIX"))
    try:
        return _instances[identity]
    except KeyError:
        pass
    with _instances_lock:
        if identity not in _instances:
            _instances[identity] = _build(alias, key_prefix, config)
        return _instances[identity]


def _build(alias: str, key_prefix: str, config: dict) -> TrackedKeys | None:
    if not settings.EDITORIAL_TRACK_CACHE_KEYS:
        return None
    cache = caches[alias]
    if not isinstance(cache, RedisCache) or len(cache._servers) != 1:
        return None
    return TrackedKeys(cache._servers[0], key_prefix, cache.make_key(""))


def _after_fork_in_child() -> None:
    """A lock held by a thread of the parent at the fork would never be released in the child."""
    global _instances_lock
    _instances_lock = threading.Lock()
    for tracked in _instances.values():
        if tracked is not None:
            tracked._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def reset() -> None:
    """Stop every tracking thread and forget them (tests that change the cache settings)."""
    with _instances_lock:
        for tracked in _instances.values():
            if tracked is not None:
                tracked.stop()
        _instances.clear()


def wait_until_live(tracked: TrackedKeys, timeout: float = 5.0) -> bool:
    """Start the tracking connection and wait for it (tests and benchmarks)."""
    tracked.known("")
    deadline = time.monotonic() + timeout
    while not tracked.live and time.monotonic() < deadline:
        time.sleep(0.01)
    return tracked.live
