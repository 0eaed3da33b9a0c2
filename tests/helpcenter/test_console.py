"""The console's help-centre pages (SITE-2, CS-5): agents only; a refused edit (typed delay,
unknown rule, bad position) says why and changes nothing; the preview saves nothing."""

import pytest

from allies.helpcenter.models import Question

pytestmark = pytest.mark.django_db

LIST = "/service-client/aide/"
NEW = "/service-client/aide/nouvelle/"


def form(**overrides):
    values = {
        "topic": "livraison",
        "slug": "livraison-le-samedi",
        "position": "15",
        "is_published": "on",
        "question_fr": "Livrez-vous le samedi ?",
        "answer_fr": "Cela dépend du transporteur choisi par le vendeur : voyez "
        "[[lien:orders:purchases|Mes achats]]. Le vendeur répond sous {{delai:reponse_vendeur}}.",
        "question_en": "Do you deliver on Saturdays?",
        "answer_en": "It depends on the vendor's carrier: see [[lien:orders:purchases|your "
        "purchases]]. The vendor answers within {{delai:reponse_vendeur}}.",
        "rule_ids": "CS-1 ORD-3",
        "action": "save",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("url", [LIST, NEW, "/service-client/aide/1/"])
def test_only_agents_open_the_console(client, url, customer, plain_staff):
    # covers: CS-5
    assert client.get(url).status_code == 302  # to the login page
    for user in (customer, plain_staff):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(NEW, form()).status_code == 403
    assert not Question.objects.filter(slug="livraison-le-samedi").exists()


def test_the_list_shows_every_question_by_topic(client, agent, django_assert_max_num_queries):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("/service-client/aide/") >= Question.objects.count()
    assert html.index("Compte client") < html.index("Autres questions")
    assert "RET-1 RET-2" in html


def test_an_agent_creates_a_question_shown_at_once_in_both_languages(client, agent):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    response = client.post(NEW, form())
    question = Question.objects.get(slug="livraison-le-samedi")
    assert response.status_code == 302
    assert response["Location"] == f"/service-client/aide/{question.pk}/"
    assert question.updated_by == agent and question.rule_ids == "CS-1 ORD-3"
    assert question.position == 15 and question.is_published
    page = client.get("/aide/livraison/livraison-le-samedi/").content.decode()
    assert "Livrez-vous le samedi ?" in page and "48\u00a0h" in page
    english = client.get("/en/aide/livraison/livraison-le-samedi/").content.decode()
    assert "Do you deliver on Saturdays?" in english


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer_fr", "Le vendeur vous répond sous 48 h, promis, sans faute aucune.",
         "{{delai:reponse_vendeur}}"),
        ("answer_en", "You have 14 days to change your mind about your purchase.",
         "{{delai:retractation}}"),
        ("rule_ids", "RET-1 RET-99", "Règle inconnue de PRODUCT.md : RET-99."),
        ("rule_ids", "", "Ce champ est obligatoire."),
        ("answer_fr", "Voyez [[lien:admin:index|l'admin]] pour tout le reste, merci.",
         "Lien « admin:index » inconnu"),
        ("slug", "Livraison Samedi", "L&#x27;adresse s&#x27;écrit en minuscules"),
        ("slug", "retractation", "Une autre question utilise déjà cette adresse."),
        ("topic", "contact", "Sélectionnez un choix valide."),
        ("position", "∞", "n&#x27;est pas un nombre entier"),
        ("position", "1e999", "n&#x27;est pas un nombre entier"),
        ("position", "９", "n&#x27;est pas un nombre entier"),
        ("position", "99999999999999999999999", "9999"),
        ("position", "-1", "0"),
    ],
)  # fmt: skip
def test_a_refused_question_says_why_and_nothing_is_saved(client, agent, field, value, message):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    before = Question.objects.count()
    response = client.post(NEW, form(**{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html, html[html.find("field-error") - 200 : html.find("field-error") + 400]
    assert "Rien n'a été enregistré" in html
    assert Question.objects.count() == before


def test_a_refused_edit_changes_nothing(client, agent):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    question = Question.objects.get(slug="retractation")
    before = (question.answer_fr, question.updated_at)
    response = client.post(
        f"/service-client/aide/{question.pk}/",
        form(topic=question.topic, slug=question.slug, rule_ids="RET-1",
             answer_fr="Vous avez quatorze jours à compter de la livraison, pas un de plus."),
    )  # fmt: skip
    assert response.status_code == 400
    assert "quatorze jours" in response.content.decode()
    question.refresh_from_db()
    assert (question.answer_fr, question.updated_at) == before


def test_the_preview_renders_the_answer_and_saves_nothing(client, agent):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    question = Question.objects.get(slug="newsletter")
    response = client.post(
        f"/service-client/aide/{question.pk}/",
        form(topic=question.topic, slug=question.slug, action="preview",
             answer_fr="Nouveau : **gras** et <i>balise</i>, [[lien:accounts:newsletter|ici]]."),
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "Aperçu (non enregistré)" in html
    assert "<strong>gras</strong> et &lt;i&gt;balise&lt;/i&gt;, " in html
    assert '<a href="/compte/abonnements/">ici</a>' in html
    question.refresh_from_db()
    assert "Nouveau" not in question.answer_fr


def test_the_preview_shows_the_markup_errors(client, agent):
    # covers: CS-5, SITE-2
    client.force_login(agent)
    response = client.post(NEW, form(action="preview", answer_fr="Réponse sous 48h, c'est sûr."))
    assert "« 48h »" in response.content.decode()
    assert not Question.objects.filter(slug="livraison-le-samedi").exists()


def test_an_unknown_question_is_not_found(client, agent):
    # covers: CS-5
    client.force_login(agent)
    assert client.get("/service-client/aide/999999/").status_code == 404
    assert client.get("/service-client/aide/99999999999999999999999/").status_code == 404


def test_unpublishing_hides_the_question_at_once(client, agent, settings,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    # covers: SITE-2
    settings.PAGE_CACHE_SECONDS = 60
    url = "/aide/moyens-de-paiement/code-de-reduction/"
    assert client.get(url).status_code == 200
    question = Question.objects.get(slug="code-de-reduction")
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/service-client/aide/{question.pk}/",
            form(topic=question.topic, slug=question.slug, rule_ids=question.rule_ids,
                 question_fr=question.question_fr, answer_fr=question.answer_fr,
                 question_en=question.question_en, answer_en=question.answer_en,
                 is_published=""),
        )  # fmt: skip
    client.logout()
    assert client.get(url).status_code == 404
