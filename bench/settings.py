"""The production settings plus one extra URL (`/__bench__/ok`), for the benchmark's ceiling.

Everything else — middleware, templates, cache, database — is exactly `allies.settings`, so
the ceiling measures the same server and middleware stack as the real pages.
"""

from allies.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
