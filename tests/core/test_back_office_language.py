"""The back office speaks the site's language: French first, English under `en` (SITE-4)."""

import pytest
from django.contrib import admin
from django.utils import translation
from django.utils.html import escape
from django.utils.text import capfirst

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ours():
    return [model for model in admin.site._registry if model.__module__.startswith("allies.")]


def test_the_back_office_index_names_every_app_and_model_in_french(client):
    # covers: SITE-4 — the index read "ACCOUNTS", "Discount codes", "Offers"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert _ours()
    with translation.override("fr"):
        for model in _ours():
            assert "verbose_name" in model._meta.original_attrs, model.__name__
            assert escape(capfirst(str(model._meta.verbose_name_plural))) in html
            assert escape(str(model._meta.app_config.verbose_name)) in html
        assert escape(capfirst(str(translation.gettext("Tâches en arrière-plan")))) in html
    for english in ("Discount codes", "Offers", "Orders", "Tasks Database Backend"):
        assert english not in html


def test_the_back_office_names_have_their_english_translation():
    # covers: SITE-4 — the admin is served in French (its URLs carry no language prefix);
    # its names still have English, as every text of the product.
    with translation.override("en"):
        english = {str(model._meta.verbose_name_plural) for model in _ours()}
        assert translation.gettext("Tâches en arrière-plan") == "Background tasks"
    with translation.override("fr"):
        french = {str(model._meta.verbose_name_plural) for model in _ours()}
    assert {"discount codes", "orders", "offers", "payments"} <= english
    assert english & french <= {"newsletters"}  # the same word in both languages
