"""Template filters of the help centre: a question's or a topic's text in the page's language."""

from __future__ import annotations

from django import template

from allies.helpcenter.models import Question
from allies.helpcenter.topics import TopicInfo

register = template.Library()


@register.filter
def question(item: Question, lang: str) -> str:
    return item.question(lang)


@register.filter
def topic_label(topic: TopicInfo, lang: str) -> str:
    return topic.label(lang)
