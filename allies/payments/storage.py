"""Where KYC documents are kept: Django's storage API, never under STATIC_ROOT or MEDIA_ROOT.

The `kyc` alias of STORAGES when the settings define one (production: an S3-compatible
store); otherwise a folder under VAR_DIR/private/kyc that no web server serves. Files are read
back only by staff tools and by the provider upload, never through a public URL.
"""

from functools import cache
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty

STORAGE_ALIAS = "kyc"


@cache
def _fallback(location: str) -> Storage:
    return FileSystemStorage(location=location)


class _KycStorage(LazyObject):
    _wrapped: Any

    def _setup(self) -> None:
        if STORAGE_ALIAS in settings.STORAGES:
            self._wrapped = storages[STORAGE_ALIAS]
        else:
            self._wrapped = _fallback(str(settings.VAR_DIR / "private" / "kyc"))


_storage = _KycStorage()


def kyc_storage() -> Storage:
    return cast(Storage, _storage)


def _settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting in ("STORAGES", "VAR_DIR"):
        _storage._wrapped = empty


setting_changed.connect(_settings_changed)
