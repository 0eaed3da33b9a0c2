"""Every write of the help centre: create and edit a question, load the default help centre.

A question is checked whole before anything is written (`question_errors`): topic, slug,
position, both languages, the markup of both answers (no typed delay, known links and
tokens) and the rule IDs (PRODUCT.md's). A refusal raises `HelpcenterError` with the French
message of each field and changes nothing. A saved edit shows at once: it moves the help
centre's cache generation (`allies.helpcenter.cache`), after the commit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.core.errors import AlliesError
from allies.core.text import search_document
from allies.helpcenter.cache import GENERATION_KEY
from allies.helpcenter.defaults import DEFAULT_QUESTIONS
from allies.helpcenter.markup import markup_errors, render_text
from allies.helpcenter.models import Question
from allies.helpcenter.rules import rule_ids_parse
from allies.helpcenter.topics import TOPICS_BY_SLUG
from allies.support.services import is_agent

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
POSITION_MAX = 9999
QUESTION_MIN, QUESTION_MAX = 5, 200
ANSWER_MIN, ANSWER_MAX = 20, 10_000


class HelpcenterError(AlliesError):
    """A help-centre write refused; `errors` gives the French messages by field."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]], *, code: str | None = None) -> None:
        first = next((m for messages in errors.values() for m in messages), "")
        super().__init__(first, code=code)
        self.errors = errors


@dataclass(frozen=True)
class QuestionData:
    topic: str
    slug: str
    question_fr: str
    answer_fr: str
    question_en: str
    answer_en: str
    rule_ids: str
    position: int = 0
    is_published: bool = True
    is_featured: bool = False


def question_errors(
    *, data: QuestionData, question: Question | None = None
) -> dict[str, list[str]]:
    """The French refusals of these values, by field (empty: they may be saved)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    others = Question.objects.all()
    if question is not None:
        others = others.exclude(pk=question.pk)
    if data.topic not in TOPICS_BY_SLUG:
        add("topic", _("Choisissez une des six rubriques."))
    if not SLUG.match(data.slug or "") or len(data.slug) > 120:
        add(
            "slug",
            _(
                "L'adresse s'écrit en minuscules sans accents, chiffres et tirets "
                "(120 caractères au plus), par exemple « suivre-mon-colis »."
            ),
        )
    elif others.filter(slug=data.slug).exists():
        add("slug", _("Une autre question utilise déjà cette adresse."))
    if not 0 <= data.position <= POSITION_MAX:
        add("position", _("La position est un entier de 0 à %(max)s.") % {"max": POSITION_MAX})
    for field in ("question_fr", "question_en"):
        value = getattr(data, field).strip()
        if not QUESTION_MIN <= len(value) <= QUESTION_MAX:
            add(
                field,
                _("La question fait de %(min)s à %(max)s caractères.")
                % {"min": QUESTION_MIN, "max": QUESTION_MAX},
            )
        for message in markup_errors(value):
            add(field, message)
    for field in ("answer_fr", "answer_en"):
        value = getattr(data, field).strip()
        if not ANSWER_MIN <= len(value) <= ANSWER_MAX:
            add(
                field,
                _("La réponse fait de %(min)s à %(max)s caractères.")
                % {"min": ANSWER_MIN, "max": ANSWER_MAX},
            )
        for message in markup_errors(value):
            add(field, message)
    ids, unknown = rule_ids_parse(data.rule_ids)
    if not ids:
        add("rule_ids", _("Indiquez au moins une règle décrite par la réponse, par exemple RET-1."))
    if unknown:
        add(
            "rule_ids",
            _("Règle inconnue de PRODUCT.md : %(ids)s.") % {"ids": ", ".join(unknown)},
        )
    return errors


def _search_documents(values: dict[str, Any]) -> dict[str, str]:
    return {
        f"search_{lang}": search_document(
            values[f"question_{lang}"], render_text(values[f"answer_{lang}"], lang=lang)
        )
        for lang in ("fr", "en")
    }


def _clean(data: QuestionData) -> dict[str, Any]:
    values = asdict(data)
    for field in ("slug", "question_fr", "answer_fr", "question_en", "answer_en"):
        values[field] = values[field].strip()
    values["rule_ids"] = " ".join(rule_ids_parse(data.rule_ids)[0])
    return {**values, **_search_documents(values)}


def _check(*, actor: User, data: QuestionData, question: Question | None) -> dict[str, Any]:
    if not is_agent(actor):
        raise HelpcenterError(
            {"__all__": [_("Seul le service client modifie le centre d'aide.")]}, code="forbidden"
        )
    errors = question_errors(data=data, question=question)
    if errors:
        raise HelpcenterError(errors)
    return _clean(data)


def helpcenter_cache_clear() -> None:
    """Every cached help page becomes stale at once (a new generation in the cache key)."""
    cache.set(GENERATION_KEY, timezone.now().isoformat(), None)


@transaction.atomic
def question_create(*, actor: User, data: QuestionData) -> Question:
    values = _check(actor=actor, data=data, question=None)
    question = Question.objects.create(**values, updated_at=timezone.now(), updated_by=actor)
    transaction.on_commit(helpcenter_cache_clear)
    return question


@transaction.atomic
def question_update(*, question: Question, actor: User, data: QuestionData) -> Question:
    values = _check(actor=actor, data=data, question=question)
    locked = Question.objects.select_for_update().get(pk=question.pk)
    for field, value in values.items():
        setattr(locked, field, value)
    locked.updated_at = timezone.now()
    locked.updated_by = actor
    locked.save()
    transaction.on_commit(helpcenter_cache_clear)
    return locked


def helpcenter_defaults_load(*, model: Any = None, clear_cache: bool = True) -> int:
    """Add the default help centre's questions that are missing (by slug); returns how many.

    Idempotent: a question already there, edited or not, is left as it is. The data
    migration passes its historical model and leaves the cache alone (its table may not
    exist yet while migrating); the demo calls it without.
    """
    model = model or Question
    existing = set(model.objects.values_list("slug", flat=True))
    now = timezone.now()
    rows = []
    for index, item in enumerate(DEFAULT_QUESTIONS):
        if item["slug"] in existing:
            continue
        values = {
            "topic": item["topic"],
            "slug": item["slug"],
            "position": (index + 1) * 10,
            "is_published": True,
            "is_featured": bool(item.get("featured")),
            "question_fr": item["question_fr"],
            "answer_fr": item["answer_fr"].strip(),
            "question_en": item["question_en"],
            "answer_en": item["answer_en"].strip(),
            "rule_ids": item["rules"],
        }
        rows.append(model(**values, **_search_documents(values), updated_at=now))
    model.objects.bulk_create(rows)
    if rows and clear_cache:
        transaction.on_commit(helpcenter_cache_clear)
    return len(rows)
