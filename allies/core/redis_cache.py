"""Django's Redis cache backend, keeping one `redis.Redis` per connection pool.

Django's client builds a new `redis.Redis` for every command (its constructor sets up some
170 response callbacks): about twice the time of the command itself against a local Redis.
A `redis.Redis` is a thin, thread-safe handle on its pool (which reconnects after a fork), so
one per pool serves every command of the process. Used by settings.CACHES when REDIS_URL is
set; everything else is Django's.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        # Django's own attributes, which its type stubs do not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[id(pool)] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
