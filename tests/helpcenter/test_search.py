"""Searching the help centre (SITE-2): accents, case and French plurals do not matter, the
words found are highlighted, the page's language is searched, odd input is harmless."""

import re

import pytest
from django.utils import timezone

from allies.helpcenter.models import Question
from allies.helpcenter.services import question_create
from tests.helpcenter.conftest import data

pytestmark = pytest.mark.django_db


def result_slugs(response) -> list[str]:
    html = response.content.decode()
    block = (
        html.split('<ol class="hc-results">', 1)[1].split("</ol>", 1)[0]
        if ('<ol class="hc-results">' in html)
        else ""
    )
    return re.findall(r'<h2><a href="/(?:en/)?aide/[^/]+/([^/]+)/">', block)


def test_accents_and_case_do_not_matter(client, django_assert_max_num_queries):
    # covers: SITE-2
    with django_assert_max_num_queries(3):
        accented = client.get("/aide/recherche/", {"q": "rétractation"})
    plain = client.get("/aide/recherche/", {"q": "RETRACTATION"})
    assert accented.status_code == plain.status_code == 200
    assert result_slugs(accented) == result_slugs(plain)
    assert "retractation" in result_slugs(accented)
    assert "<mark>rétractation</mark>" in accented.content.decode()


def test_plural_and_singular_find_the_same_answers(client, agent):
    # covers: SITE-2
    question_create(actor=agent, data=data())  # « Ma chemise est trop grande… »
    plural = result_slugs(client.get("/aide/recherche/", {"q": "chemises"}))
    singular = result_slugs(client.get("/aide/recherche/", {"q": "Chemise"}))
    assert plural == singular
    assert plural[0] == "chemise-trop-grande"  # found in its question: first
    html = client.get("/aide/recherche/", {"q": "chemises"}).content.decode()
    assert "Ma <mark>chemise</mark> est trop grande" in html


def test_every_word_must_be_found_and_results_show_their_topic_and_an_excerpt(client):
    # covers: SITE-2, ORD-3
    response = client.get("/aide/recherche/", {"q": "suivre colis"})
    slugs = result_slugs(response)
    assert slugs[0] == "suivre-mon-colis"
    html = response.content.decode()
    assert "<mark>suivre</mark>" in html.lower() and "<mark>colis</mark>" in html.lower()
    assert 'class="hc-kicker">Livraison<' in html
    assert re.search(r"\d+ réponses? trouvées?", html)


def test_no_result_and_empty_search_have_their_own_messages(client):
    # covers: SITE-2, CS-4
    none = client.get("/aide/recherche/", {"q": "hélicoptère"})
    assert none.status_code == 200
    html = none.content.decode()
    assert "Aucune réponse ne contient « hélicoptère »." in html
    assert 'href="/aide/contact/"' in html
    empty = client.get("/aide/recherche/")
    assert empty.status_code == 200 and "Que cherchez-vous ?" in empty.content.decode()
    assert result_slugs(empty) == []


def test_the_english_page_searches_the_english_texts(client):
    # covers: SITE-2, SITE-4
    english = result_slugs(client.get("/en/aide/recherche/", {"q": "refunded"}))
    assert "remboursement" in english
    assert result_slugs(client.get("/aide/recherche/", {"q": "désinscription"})) == ["newsletter"]
    assert result_slugs(client.get("/en/aide/recherche/", {"q": "désinscription"})) == []
    withdrawal = client.get("/en/aide/recherche/", {"q": "withdrawal"}).content.decode()
    assert "I changed my mind" in withdrawal


def test_unpublished_questions_are_never_found(client):
    # covers: SITE-2
    Question.objects.filter(slug="suivre-mon-colis").update(
        is_published=False, updated_at=timezone.now()
    )
    assert "suivre-mon-colis" not in result_slugs(client.get("/aide/recherche/", {"q": "colis"}))


@pytest.mark.parametrize(
    "query",
    ["∞", "1e999", "９９９", "<script>alert(1)</script>", "%", "_", "' OR 1=1 --", "a" * 5000,
     " ".join(["colis"] * 400), "\x00"],
)  # fmt: skip
def test_odd_queries_are_harmless(client, query, django_assert_max_num_queries):
    # covers: SITE-2
    with django_assert_max_num_queries(3):
        response = client.get("/aide/recherche/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_a_repeated_q_parameter_is_read_once(client):
    # covers: SITE-2
    response = client.get("/aide/recherche/?q=colis&q=facture")
    assert response.status_code == 200
