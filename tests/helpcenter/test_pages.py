"""The help centre's public pages (SITE-2): home, topic, answer, in French and English, with
bounded queries, the contact block (CS-4) and the live chat's button (CS-3)."""

import re

import pytest

from allies.helpcenter.models import Question
from allies.helpcenter.services import question_update
from allies.helpcenter.topics import TOPICS
from tests.helpcenter.conftest import data

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_home_shows_the_six_topics_in_order_the_most_asked_questions_and_a_search_box(
    client, django_assert_max_num_queries
):
    # covers: SITE-2
    with django_assert_max_num_queries(4):
        response = client.get("/aide/")
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(f'href="/aide/{t.slug}/"') for t in TOPICS]
    assert positions == sorted(positions)
    page = text(response)
    for topic in TOPICS:
        assert topic.label_fr in page
    assert "Les questions les plus posées" in page
    assert 'href="/aide/livraison/suivre-mon-colis/"' in html
    assert 'action="/aide/recherche/"' in html and 'name="q"' in html
    assert 'rel="stylesheet" href="/static/helpcenter/helpcenter.css"' in html


def test_the_contact_block_leads_to_the_contact_form_even_without_javascript(client):
    # covers: CS-4, CS-3
    html = client.get("/aide/").content.decode()
    contact = re.search(r"<p data-chat-when-away>(.*?)</p>", html, re.S)
    assert contact and 'href="/aide/contact/"' in contact.group(1)
    assert "Contacter le service client" in contact.group(1)
    # The chat's button is hidden until the chat's script finds an agent available.
    button = re.search(r"<button[^>]*data-chat-open[^>]*>", html).group(0)
    assert 'type="button"' in button and "data-chat-when-available" in button
    assert " hidden" in button
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_a_topic_page_lists_its_questions_with_their_answers_to_unfold(
    client, django_assert_max_num_queries
):
    # covers: SITE-2, RET-1
    with django_assert_max_num_queries(4):
        response = client.get("/aide/retours-et-remboursements/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Retours et remboursements</h1>" in html
    assert (
        html.count('<details class="hc-item"')
        == Question.objects.filter(topic="retours-et-remboursements", is_published=True).count()
    )
    assert "J&#x27;ai changé d&#x27;avis : comment retourner un article ?" in html
    assert "14\u00a0jours calendaires" in html
    assert 'href="/aide/retours-et-remboursements/retractation/"' in html


def test_an_answer_page_shows_the_answer_its_links_and_related_questions(
    client, django_assert_max_num_queries
):
    # covers: SITE-2, RET-1, RET-2
    with django_assert_max_num_queries(4):
        response = client.get("/aide/retours-et-remboursements/retractation/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>J&#x27;ai changé d&#x27;avis : comment retourner un article ?</h1>" in html
    assert 'Vous avez <span class="hc-delay">14\u00a0jours calendaires</span>' in html
    assert '<a href="/compte/achats/">Mes achats</a>' in html
    assert "Questions liées" in html
    assert 'href="/aide/retours-et-remboursements/remboursement/"' in html
    assert '<link rel="alternate" hreflang="en"' in html


def test_english_pages_show_the_english_texts(client):
    # covers: SITE-4, SITE-2
    home = client.get("/en/aide/")
    assert "Returns and refunds" in text(home) and "Customer account" in text(home)
    page = client.get("/en/aide/retours-et-remboursements/retractation/")
    assert "I changed my mind: how do I return an item?" in text(page)
    assert "14\u00a0calendar days" in page.content.decode()
    assert 'href="/en/compte/achats/"' in page.content.decode()


def test_unknown_or_unpublished_pages_are_not_found_and_a_wrong_topic_redirects(client):
    # covers: SITE-2
    assert client.get("/aide/inconnue/").status_code == 404
    assert client.get("/aide/livraison/inconnue/").status_code == 404
    assert client.get("/aide/inconnue/retractation/").status_code == 404
    moved = client.get("/aide/livraison/retractation/")
    assert moved.status_code == 301
    assert moved["Location"] == "/aide/retours-et-remboursements/retractation/"
    Question.objects.filter(slug="retractation").update(is_published=False)
    assert client.get("/aide/retours-et-remboursements/retractation/").status_code == 404
    assert "retractation/" not in client.get("/aide/retours-et-remboursements/").content.decode()
    # The support contact form keeps its address under /aide/.
    assert client.get("/aide/contact/").status_code == 200


def test_pages_are_cached_for_visitors_and_an_edit_shows_at_once(
    client, settings, agent, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # covers: SITE-2
    settings.PAGE_CACHE_SECONDS = 60
    url = "/aide/retours-et-remboursements/retractation/"
    assert client.get(url)["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(0):
        assert client.get(url)["X-Page-Cache"] == "hit"
    question = Question.objects.get(slug="retractation")
    with django_capture_on_commit_callbacks(execute=True):  # the edit commits
        question_update(
            question=question,
            actor=agent,
            data=data(
                topic=question.topic,
                slug=question.slug,
                rule_ids="RET-1",
                question_fr="Je me suis trompé de modèle : comment le renvoyer ?",
            ),  # fmt: skip
        )
    fresh = client.get(url)
    assert fresh["X-Page-Cache"] == "miss"
    assert "Je me suis trompé de modèle" in fresh.content.decode()
    topic_page = client.get("/aide/retours-et-remboursements/").content.decode()
    assert "Je me suis trompé de modèle" in topic_page


def test_a_logged_in_customer_gets_the_help_pages_with_their_own_header(client, settings, customer):
    # covers: SITE-2
    settings.PAGE_CACHE_SECONDS = 60
    client.force_login(customer)
    first = client.get("/aide/")
    assert first["X-Page-Cache"] == "miss" and "COMPTE" in first.content.decode()
    again = client.get("/aide/")
    assert again["X-Page-Cache"] == "hit" and "COMPTE" in again.content.decode()
    client.logout()
    client.cookies.clear()
    anonymous = client.get("/aide/")  # stored as an anonymous visitor sees it
    assert anonymous["X-Page-Cache"] == "hit"
    assert "COMPTE" not in anonymous.content.decode()
    assert "Se connecter" in anonymous.content.decode()
