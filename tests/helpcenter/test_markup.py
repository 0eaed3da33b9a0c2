"""The answers' markup (SITE-2): everything escaped, links to our own pages only, and a delay
typed as text is caught with the token to use instead."""

import pytest

from allies.helpcenter.markup import literal_delays, markup_errors, render_html, render_text

pytestmark = pytest.mark.django_db


def test_html_is_escaped_and_markup_renders_paragraphs_lists_bold_and_links():
    # covers: SITE-2
    html = render_html(
        "Bonjour <script>alert(1)</script> & **bienvenue**\n\n"
        "- voir [[lien:orders:purchases|Mes achats]]\n- puis <b>rien</b>\n\n"
        "1. un\n2. deux",
        lang="fr",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&amp; <strong>bienvenue</strong>" in html
    assert '<ul><li>voir <a href="/compte/achats/">Mes achats</a></li>' in html
    assert "<li>puis &lt;b&gt;rien&lt;/b&gt;</li></ul>" in html
    assert "<ol><li>un</li><li>deux</li></ol>" in html


def test_links_follow_the_answers_language_and_link_text_is_escaped():
    # covers: SITE-2, SITE-4
    html = render_html('[[lien:accounts:addresses|"><img src=x>]]', lang="en")
    assert '<a href="/en/compte/adresses/">&quot;&gt;&lt;img src=x&gt;</a>' in html


def test_an_unknown_link_or_token_is_refused_and_rendered_as_plain_text():
    # covers: SITE-2
    text = "[[lien:admin:index|admin]] {{delai:inconnu}} [[lien:javascript:alert|x]]"
    errors = markup_errors(text)
    assert any("admin:index" in e for e in errors)
    assert any("{{delai:inconnu}}" in e for e in errors)
    assert "href" not in render_html(text, lang="fr")


def test_a_broken_token_is_refused():
    # covers: SITE-2
    assert markup_errors("Sous {{delai:retractation}") != []
    assert markup_errors("[[lien:orders:purchases]]") != []


@pytest.mark.parametrize(
    "text",
    ["sous 14 jours", "sous 48h", "en 48 h", "quatorze jours", "within 24 hours",
     "14\u00a0jours", "2 semaines", "after 14 days", "48 heures ouvrées", "1,5 jour"],
)  # fmt: skip
def test_a_typed_delay_is_found(text):
    # covers: SITE-2
    assert len(literal_delays(text)) == 1


@pytest.mark.parametrize(
    "text",
    ["{{delai:retractation}}", "Colis 1/3", "3-D Secure", "au moins {{valeur:mot_de_passe}} "
     "caractères", "L221-24 du code", "Livré sous X semaines", "AL-2026-000123"],
)  # fmt: skip
def test_tokens_and_other_numbers_are_not_delays(text):
    # covers: SITE-2
    assert literal_delays(text) == []


def test_the_refusal_names_the_token_to_use():
    # covers: SITE-2
    (message,) = markup_errors("Vous avez 14 jours pour changer d'avis.")
    assert "« 14 jours »" in message
    assert "{{delai:retractation}}" in message and "{{delai:renvoi}}" in message
    (message,) = markup_errors("Réponse en 24h.")
    assert "{{delai:intervention}}" in message and "{{delai:modification_adresse}}" in message


def test_plain_text_resolves_tokens_and_drops_markup():
    # covers: SITE-2
    text = render_text("**Délai** : {{delai:retractation}}, voir [[lien:orders:purchases|ici]].",
                       lang="fr")  # fmt: skip
    assert text == "Délai : 14\u00a0jours calendaires, voir ici."
