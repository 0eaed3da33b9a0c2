"""Shared test setup: tasks run immediately, mail is captured, factories are at hand."""

import pytest


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background tasks run inline so a test sees their effect (the worker is tested apart)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PAGE_CACHE_SECONDS = 0
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "fragments",
        },
    }


@pytest.fixture(autouse=True)
def _fresh_cache(_immediate_tasks):
    from django.core.cache import caches

    for alias in ("default", "fragments"):
        caches[alias].clear()
    yield
    for alias in ("default", "fragments"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _french_by_default():
    """Each test starts in French, whatever language an earlier test switched to."""
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files the tests write (invoice PDFs…) go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
