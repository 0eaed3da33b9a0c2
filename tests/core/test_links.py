"""`core.links.reverse_one` writes the address `reverse` writes, for every value, in both
languages, or refuses what `reverse` refuses."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from allies.core.links import reverse_one

SLUG_VIEWS = ["storefront:product", "storefront:category", "storefront:vendor"]


def _both(viewname: str, name: str, value) -> tuple[str, str]:
    try:
        expected = reverse(viewname, kwargs={name: value})
    except NoReverseMatch:
        expected = "refused"
    try:
        found = reverse_one(viewname, name, value)
    except NoReverseMatch:
        found = "refused"
    return expected, found


@settings(max_examples=300, deadline=None)
@given(
    viewname=st.sampled_from(SLUG_VIEWS),
    slug=st.one_of(
        st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True),
        st.text(max_size=20),  # spaces, slashes, accents, "%": left to reverse (refused)
    ),
    language=st.sampled_from(["fr", "en"]),
)
def test_a_slug_address_is_the_one_reverse_writes(viewname, slug, language):
    # covers: SITE-4 (every link of a page, in French and in English)
    with override(language):
        expected, found = _both(viewname, "slug", slug)
    assert found == expected


@settings(max_examples=200, deadline=None)
@given(
    pk=st.one_of(st.integers(min_value=-10, max_value=10**12), st.text(max_size=6)),
    language=st.sampled_from(["fr", "en"]),
)
def test_an_id_address_is_the_one_reverse_writes(pk, language):
    # covers: CAT-1 (a card's image)
    with override(language):
        expected, found = _both("product_image", "pk", pk)
    assert found == expected


def test_an_english_page_links_to_english_pages():
    # covers: SITE-4
    with override("en"):
        assert reverse_one("storefront:product", "slug", "chemise-oxford") == (
            "/en/p/chemise-oxford/"
        )
    with override("fr"):
        assert reverse_one("storefront:product", "slug", "chemise-oxford") == "/p/chemise-oxford/"
    assert reverse_one("product_image", "pk", 42) == "/images/produits/42.svg"
    with pytest.raises(NoReverseMatch):  # an id is digits
        reverse_one("product_image", "pk", "abc")


def test_another_url_map_gives_its_own_addresses(settings):
    # covers: SITE-4 (what a setting change, as in tests, does to the kept addresses)
    assert reverse_one("storefront:product", "slug", "pull") == "/p/pull/"
    settings.ROOT_URLCONF = "tests.core.links_urls"
    assert reverse_one("storefront:product", "slug", "pull") == "/autre/p/pull/"
