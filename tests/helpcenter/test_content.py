"""The default help centre (SITE-2): six topics, every answer true to the code — its delays
come from the settings the code applies, its rule IDs exist in PRODUCT.md and are tested."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from allies.aftersales import returns
from allies.helpcenter.defaults import DEFAULT_QUESTIONS
from allies.helpcenter.delays import DELAYS, VALUES
from allies.helpcenter.markup import LINKS, literal_delays, markup_errors, render_html
from allies.helpcenter.models import Question
from allies.helpcenter.rules import RULE_IDS
from allies.helpcenter.services import QuestionData, helpcenter_defaults_load, question_errors
from allies.helpcenter.topics import TOPICS
from allies.invoices import services as invoices
from allies.orders import closing, delivery_changes

pytestmark = pytest.mark.django_db

TESTS_DIR = Path(__file__).resolve().parents[1]
# The product's rules live beside the checkout in the team's workspace (../shared), not in the
# repository: CI's clean clone may not have them. The code's copy (`rules.RULE_IDS`) is what
# the answers are checked against; it is compared with the document wherever it is.
PRODUCT_MD = Path(
    os.environ.get("ALLIES_PRODUCT_MD", TESTS_DIR.parents[1] / "shared" / "PRODUCT.md")
)
RULE = re.compile(r"\b([A-Z]{2,5}-\d{1,3})\b")


def product_rule_ids() -> set[str]:
    text = PRODUCT_MD.read_text(encoding="utf-8")
    return set(re.findall(r"^- ([A-Z]{2,5}-\d{1,3}) ", text, flags=re.MULTILINE))


def covered_rule_ids() -> set[str]:
    covered: set[str] = set()
    for path in TESTS_DIR.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "# covers:" in line:
                covered.update(RULE.findall(line.split("# covers:", 1)[1]))
    return covered


def test_six_topics_in_order_with_their_labels():
    # covers: SITE-2
    assert [t.label_fr for t in TOPICS] == [
        "Compte client",
        "Gestion de commande",
        "Livraison",
        "Moyens de paiement",
        "Retours et remboursements",
        "Autres questions",
    ]
    assert [t.label_en for t in TOPICS] == [
        "Customer account",
        "Managing an order",
        "Delivery",
        "Payment methods",
        "Returns and refunds",
        "Other questions",
    ]


def test_the_data_migration_loaded_the_help_centre_and_loading_again_adds_nothing():
    # covers: SITE-2
    assert Question.objects.count() == len(DEFAULT_QUESTIONS)
    assert 25 <= len(DEFAULT_QUESTIONS) <= 35
    assert {q["topic"] for q in DEFAULT_QUESTIONS} == {t.slug for t in TOPICS}
    assert helpcenter_defaults_load() == 0
    Question.objects.filter(slug="retractation").delete()
    assert helpcenter_defaults_load() == 1
    assert Question.objects.count() == len(DEFAULT_QUESTIONS)


def test_an_edited_question_is_not_overwritten_by_loading_the_defaults():
    # covers: SITE-2
    Question.objects.filter(slug="newsletter").update(question_fr="Se désabonner ?")
    helpcenter_defaults_load()
    assert Question.objects.get(slug="newsletter").question_fr == "Se désabonner ?"


def test_rule_ids_known_to_the_code_are_exactly_those_of_product_md():
    # covers: SITE-2
    if not PRODUCT_MD.exists():
        pytest.skip(f"no PRODUCT.md at {PRODUCT_MD} (set ALLIES_PRODUCT_MD)")
    assert RULE_IDS == product_rule_ids()


@pytest.mark.parametrize("question", DEFAULT_QUESTIONS, ids=lambda q: q["slug"])
def test_each_answer_cites_rules_of_product_md_that_a_test_covers(question):
    # covers: SITE-2
    cited = question["rules"].split()
    assert cited, "an answer names the rules it describes"
    assert set(cited) <= RULE_IDS, set(cited) - RULE_IDS
    uncovered = set(cited) - covered_rule_ids()
    assert not uncovered, f"no test says '# covers:' for {uncovered}"


@pytest.mark.parametrize("question", DEFAULT_QUESTIONS, ids=lambda q: q["slug"])
def test_no_answer_types_a_delay_it_uses_tokens(question):
    # covers: SITE-2
    for field in ("question_fr", "answer_fr", "question_en", "answer_en"):
        assert literal_delays(question[field]) == [], (field, literal_delays(question[field]))
        assert markup_errors(question[field]) == []


def test_every_default_question_passes_the_console_checks():
    # covers: SITE-2
    for item in DEFAULT_QUESTIONS:
        stored = Question.objects.get(slug=item["slug"])
        values = QuestionData(
            topic=item["topic"], slug=item["slug"], question_fr=item["question_fr"],
            answer_fr=item["answer_fr"], question_en=item["question_en"],
            answer_en=item["answer_en"], rule_ids=item["rules"],
        )  # fmt: skip
        assert question_errors(data=values, question=stored) == {}, item["slug"]


def test_each_delay_token_says_what_the_code_applies(settings, monkeypatch):
    # covers: RET-1, RET-2, RET-6, CS-1, CS-2, SAV-2, INV-2, ORD-6
    expected = {
        "retractation": f"{closing.WITHDRAWAL_DAYS}\u00a0jours calendaires",
        "renvoi": f"{returns.SEND_BACK_DAYS}\u00a0jours calendaires",
        "remboursement": f"{returns.REFUND_DAYS}\u00a0jours",
        "reponse_vendeur": f"{settings.SUPPORT_VENDOR_ANSWER_HOURS}\u00a0h",
        "reclamation": f"{settings.SUPPORT_VENDOR_ANSWER_HOURS}\u00a0heures ouvrées",
        "intervention": f"{settings.SUPPORT_OPERATOR_ANSWER_HOURS}\u00a0h",
        "facture": f"{invoices.REQUEST_DELAY_BUSINESS_HOURS}\u00a0heures ouvrées",
        "modification_adresse": f"{delivery_changes.ADDRESS_EDIT_HOURS}\u00a0h",
        "acceptation": f"{settings.ORDER_ACCEPTANCE_WORKING_DAYS}\u00a0jours ouvrés",
        "annulation_auto": f"{settings.ORDER_AUTO_CANCEL_WORKING_DAYS}\u00a0jours ouvrés",
    }
    assert {key: d.text("fr") for key, d in DELAYS.items()} == expected
    # The product's numbers (PRODUCT.md, "Numbers that are rules").
    assert expected["retractation"].startswith("14\u00a0") and expected["renvoi"].startswith("14")
    assert expected["reponse_vendeur"] == "48\u00a0h" and expected["intervention"] == "24\u00a0h"
    assert expected["reclamation"].startswith("48") and expected["facture"].startswith("48")
    assert expected["modification_adresse"] == "24\u00a0h"
    assert DELAYS["retractation"].text("en") == "14\u00a0calendar days"
    assert VALUES["mot_de_passe"].source() == "8"


def test_a_changed_setting_changes_the_answers_at_once(settings, monkeypatch):
    # covers: CS-1, CS-2, RET-1
    settings.SUPPORT_VENDOR_ANSWER_HOURS = 72
    settings.SUPPORT_OPERATOR_ANSWER_HOURS = 12
    monkeypatch.setattr(closing, "WITHDRAWAL_DAYS", 30)
    contact = Question.objects.get(slug="contacter-le-service-client")
    html = render_html(contact.answer_fr, lang="fr")
    assert 'sous <span class="hc-delay">72\u00a0h</span>' in html
    assert '<span class="hc-delay">12\u00a0h</span> au maximum' in html
    assert "48" not in html and "24" not in html
    withdrawal = render_html(Question.objects.get(slug="retractation").answer_en, lang="en")
    assert "30\u00a0calendar days" in withdrawal


def test_every_link_of_the_answers_leads_to_an_existing_page():
    # covers: SITE-2
    for name in LINKS:
        assert reverse(name)
    for item in DEFAULT_QUESTIONS:
        for lang in ("fr", "en"):
            html = render_html(item[f"answer_{lang}"], lang=lang)
            assert "[[" not in html and "{{" not in html, item["slug"]
            for href in re.findall(r'href="([^"]+)"', html):
                assert href.startswith(("/", "mailto:")), href
                if lang == "en" and href.startswith("/"):
                    assert href.startswith("/en/"), href


@pytest.mark.parametrize(
    ("slug", "labels"),
    [
        ("retractation", ["Retourner des articles", "Assistance en ligne", "Mes demandes"]),
        ("article-casse-incomplet-non-conforme", ["Signaler un problème", "Remplacement du produit",
                                                 "Réception des pièces manquantes"]),
        ("modifier-adresse-de-livraison", ["Modifier la livraison", "Mes achats"]),
        ("contacter-le-service-client", ["Assistance en ligne", "Votre demande est-elle en cours "
                                         "de traitement ou résolue ?", "Mes demandes"]),
        ("annuler-des-articles", ["Annuler des articles"]),
        ("obtenir-ma-facture", ["Ma facture", "Mes achats"]),
        ("changer-adresse-email", ["Paramètres de compte", "Modifier mon email", "Votre email",
                                   "Valider"]),
        ("newsletter", ["Mes abonnements aux offres"]),
        ("modes-et-frais-de-livraison", ["Modes de livraison disponibles",
                                         "Livraison de vos achats", "Point relais"]),
        ("disponibilite-des-produits", ["En stock", "En rupture de stock",
                                        "En cours de réapprovisionnement - Livré sous X semaines"]),
    ],
)  # fmt: skip
def test_answers_use_the_labels_customers_see(slug, labels):
    # covers: SITE-2
    answer = Question.objects.get(slug=slug).answer_fr
    for label in labels:
        assert label in answer, (slug, label)
