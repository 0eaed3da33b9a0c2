"""The Redis cache backend (`core.redis_cache`, production's cache when REDIS_URL is set)
behaves as Django's, with one client per connection pool instead of one per command."""

import os

import pytest
import redis

from allies.core.redis_cache import RedisCache

# Not the worker test's database (13); keys under this process's own prefix, deleted after.
URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def backend():
    try:
        redis.Redis.from_url(URL).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on this machine")
    cache = RedisCache(URL, {"KEY_PREFIX": f"test-redis-cache-{os.getpid()}"})
    yield cache
    cache.delete_many(["n", "a", "b", "x"])  # clear() would flush the whole database


def test_it_answers_as_the_cache_the_product_relies_on(backend):
    # covers: VEN-3 (the rate limit's counter and the order list's cached JSON live here)
    assert backend.add("n", 1, timeout=60) is True
    assert backend.add("n", 5, timeout=60) is False  # add() never overwrites
    assert backend.incr("n") == 2
    with pytest.raises(ValueError):
        backend.incr("absent")
    backend.set_many({"a": '{"id": 1}', "b": '{"id": 2}'}, timeout=60)
    assert backend.get_many(["a", "b", "c"]) == {"a": '{"id": 1}', "b": '{"id": 2}'}
    assert backend.get("c", "default") == "default"


def test_one_client_serves_every_command(backend):
    first = backend._cache.get_client(write=True)
    backend.set("x", 1, timeout=60)
    backend.get("x")
    assert backend._cache.get_client(write=True) is first
    assert backend._cache.get_client() is first  # one server: reads use the same pool
