"""Reads of the help centre: what visitors see (published questions only) and the search.

Every function runs one query, whatever the number of questions. The search is the
catalogue's (`allies.core.text`): accents, case and French plurals are folded away, and each
term of the query must start a word of the question or its answer, in the page's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from allies.core.text import fold, query_terms, stem
from allies.helpcenter.markup import render_text
from allies.helpcenter.models import Question
from allies.helpcenter.topics import TOPIC_ORDER, TOPICS, TOPICS_BY_SLUG, TopicInfo

QUERY_MAX_CHARS = 200
QUERY_MAX_TERMS = 8
EXCERPT_CHARS = 220
FEATURED_MAX = 8
_WORDS = re.compile(r"[^\W_]+")


def _published() -> QuerySet[Question]:
    return Question.objects.filter(is_published=True).order_by("position", "pk")


def questions_published() -> list[Question]:
    return sorted(_published(), key=lambda q: (TOPIC_ORDER.get(q.topic, 99), q.position, q.pk))


@dataclass
class TopicGroup:
    topic: TopicInfo
    questions: list[Question] = field(default_factory=list)


def helpcenter_overview() -> tuple[list[TopicGroup], list[Question]]:
    """Every topic with its published questions, and the most asked questions."""
    groups = {t.slug: TopicGroup(t) for t in TOPICS}
    featured: list[Question] = []
    for question in questions_published():
        if question.topic in groups:
            groups[question.topic].questions.append(question)
            if question.is_featured and len(featured) < FEATURED_MAX:
                featured.append(question)
    return list(groups.values()), featured


def topic_questions(*, slug: str) -> TopicGroup | None:
    topic = TOPICS_BY_SLUG.get(slug)
    if topic is None:
        return None
    return TopicGroup(topic, list(_published().filter(topic=slug)))


def question_published(*, slug: str) -> tuple[Question, list[Question]] | None:
    """The question and the other published ones of its topic (related questions)."""
    rows = list(
        _published().filter(
            Q(slug=slug) | Q(topic__in=Question.objects.filter(slug=slug).values("topic"))
        )
    )
    found = next((q for q in rows if q.slug == slug), None)
    if found is None:
        return None
    return found, [q for q in rows if q.pk != found.pk]


# --- search ---------------------------------------------------------------------------------


def _word_matches(word: str, terms: list[str]) -> bool:
    folded = stem(fold(word))
    return any(folded.startswith(term) for term in terms)


def highlight(text: str, terms: list[str]) -> SafeString:
    """`text` escaped, with the words that match a search term in <mark>."""
    out: list[str] = []
    pos = 0
    for match in _WORDS.finditer(text):
        if _word_matches(match.group(0), terms):
            out.append(escape(text[pos : match.start()]))
            out.append(f"<mark>{escape(match.group(0))}</mark>")
            pos = match.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped


def excerpt(text: str, terms: list[str], *, size: int = EXCERPT_CHARS) -> str:
    """About `size` characters of `text` around its first matching word."""
    if len(text) <= size:
        return text
    first = next((m.start() for m in _WORDS.finditer(text) if _word_matches(m.group(0), terms)), 0)
    # Start at the matching sentence when it is close enough, else a little before the word.
    sentence = text.rfind(". ", 0, first)
    if sentence != -1 and first - sentence < size * 2 // 3:
        start = sentence + 2
    else:
        start = max(0, first - size // 3)
        space = text.find(" ", start) if start else -1
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    return ("… " if start else "") + text[start:end].strip() + (" …" if end < len(text) else "")


@dataclass
class SearchHit:
    question: Question
    topic: TopicInfo
    title: SafeString
    snippet: SafeString


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    hits: list[SearchHit]


def questions_search(*, query: str, lang: str) -> SearchResult:
    """Published questions whose question or answer holds every term, best first."""
    query = " ".join((query or "")[:QUERY_MAX_CHARS].split())
    terms = query_terms(query)[:QUERY_MAX_TERMS]
    if not terms:
        return SearchResult(query, [], [])
    column = "search_en" if lang == "en" else "search_fr"
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{column}__contains": f" {term}"})
    scored = []
    for question in _published().filter(condition):
        title_words = {stem(fold(w)) for w in _WORDS.findall(question.question(lang))}
        in_title = sum(any(w.startswith(t) for w in title_words) for t in terms)
        scored.append((-in_title, TOPIC_ORDER.get(question.topic, 99), question.position, question))
    scored.sort(key=lambda row: row[:3])
    hits = []
    for *_key, question in scored:
        plain = render_text(question.answer(lang), lang=lang)
        hits.append(
            SearchHit(
                question=question,
                topic=TOPICS_BY_SLUG[question.topic],
                title=highlight(question.question(lang), terms),
                snippet=highlight(excerpt(plain, terms), terms),
            )
        )
    return SearchResult(query, terms, hits)
