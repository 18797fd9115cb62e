"""Run work in racing threads, each on its own database connection."""

import threading

from django.db import connection


def run_in_threads(count: int, work, *, timeout: float = 60) -> list:
    """Run work(i) in `count` threads released together by a barrier; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,), name=f"racer-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), f"{thread.name} did not finish within {timeout} s"
    return results
