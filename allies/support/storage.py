"""Where attachments are kept: the `support` alias of STORAGES (Django's storage API).

By default a folder under VAR_DIR/private/support, outside STATIC_ROOT and MEDIA_ROOT, so no
web server serves it: files are read back only through views that check who asks (the
thread's customer, its vendor, staff). Production may point the alias at an S3-compatible
store by setting (SUPPORT_STORAGE_BACKEND).

The model field takes `support_storage` (a callable, so migrations do not freeze a path)
and gets a lazy proxy that resolves `storages["support"]` on first use and again after a
test changes STORAGES.
"""

from typing import Any, cast

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty

STORAGE_ALIAS = "support"


class _SupportStorage(LazyObject):
    _wrapped: Any

    def _setup(self) -> None:
        self._wrapped = storages[STORAGE_ALIAS]


_storage = _SupportStorage()


def support_storage() -> Storage:
    return cast(Storage, _storage)


def _storages_changed(*, setting: str, **kwargs: object) -> None:
    # Django resets its own `storages` handler on this signal (django.test.signals); the
    # proxy must forget the instance it took from it.
    if setting == "STORAGES":
        _storage._wrapped = empty


setting_changed.connect(_storages_changed)
