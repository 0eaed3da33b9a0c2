"""The help centre's public pages (SITE-2): home, topic, answer, search. Open to everyone,
French at /aide/ and English at /en/aide/; anonymous visits are cached (`cache.py`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from allies.core.languages import page_path_in
from allies.helpcenter import selectors
from allies.helpcenter.cache import helpcenter_page_cache
from allies.helpcenter.markup import render_html
from allies.helpcenter.topics import TOPICS, TOPICS_BY_SLUG


def _lang() -> str:
    return "en" if (get_language() or "fr").startswith("en") else "fr"


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    path = request.path
    context = {
        "lang": _lang(),
        "topics": [(t, t.label(_lang())) for t in TOPICS],
        "canonical_url": settings.SITE_URL + path,
        "alternate_urls": {
            lang: settings.SITE_URL + page_path_in(request, lang) for lang in ("fr", "en")
        },
        **context,
    }
    return render(request, f"helpcenter/{template}", context)


@require_safe
@helpcenter_page_cache
def home(request: HttpRequest) -> HttpResponse:
    groups, featured = selectors.helpcenter_overview()
    lang = _lang()
    return _page(
        request,
        "home.html",
        {
            "groups": [
                (g.topic, g.topic.label(lang), g.topic.summary(lang), g.questions) for g in groups
            ],
            "featured": featured,
        },
    )


@require_safe
@helpcenter_page_cache
def topic(request: HttpRequest, topic_slug: str) -> HttpResponse:
    group = selectors.topic_questions(slug=topic_slug)
    if group is None:
        raise Http404("topic")
    lang = _lang()
    items = [(q, render_html(q.answer(lang), lang=lang)) for q in group.questions]
    return _page(
        request,
        "topic.html",
        {"topic": group.topic, "topic_label": group.topic.label(lang), "items": items},
    )


@require_safe
@helpcenter_page_cache
def question(request: HttpRequest, topic_slug: str, slug: str) -> HttpResponse:
    found = selectors.question_published(slug=slug)
    if found is None or topic_slug not in TOPICS_BY_SLUG:
        raise Http404("question")
    item, related = found
    if item.topic != topic_slug:
        return redirect(
            "helpcenter:question", topic_slug=item.topic, slug=item.slug, permanent=True
        )
    lang = _lang()
    topic_info = TOPICS_BY_SLUG[item.topic]
    return _page(
        request,
        "question.html",
        {
            "item": item,
            "title": item.question(lang),
            "answer": render_html(item.answer(lang), lang=lang),
            "topic": topic_info,
            "topic_label": topic_info.label(lang),
            "related": related[:6],
        },
    )


@require_safe
@helpcenter_page_cache
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    result = selectors.questions_search(query=raw if isinstance(raw, str) else "", lang=_lang())
    context = {"result": result, "search_url": reverse("helpcenter:search")}
    return _page(request, "search.html", context)
