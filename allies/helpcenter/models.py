"""The help centre's questions and answers (SITE-2).

A `Question` holds both languages of one question and its answer. Answers are written in a
small markup (`allies.helpcenter.markup`): paragraphs, lists, bold, links to our own pages by
URL name and tokens for every delay, so an answer never states a delay the code does not
apply. Every write goes through `allies.helpcenter.services`, which validates the texts and
the rule IDs and keeps the search documents in step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allies.helpcenter.topics import Topic


class Question(models.Model):
    topic = models.CharField(_("rubrique"), max_length=40, choices=Topic.choices)
    slug = models.SlugField(_("adresse (slug)"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("publiée"), default=True)
    is_featured = models.BooleanField(_("question fréquente"), default=False)
    question_fr = models.CharField(_("question (français)"), max_length=200)
    answer_fr = models.TextField(_("réponse (français)"))
    question_en = models.CharField(_("question (anglais)"), max_length=200)
    answer_en = models.TextField(_("réponse (anglais)"))
    # Space-separated IDs of PRODUCT.md's rules this answer describes ("RET-1 RET-2").
    rule_ids = models.CharField(_("règles décrites"), max_length=200)
    # Accent-, case- and plural-free terms of the question and its answer (core.text), padded
    # with spaces so that " term" matches a word start; written by the services.
    search_fr = models.TextField(default="", editable=False)
    search_en = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modifiée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("question d'aide")
        verbose_name_plural = _("questions d'aide")
        ordering = ("position", "pk")
        indexes = [models.Index(fields=["is_published", "topic", "position"])]

    def __str__(self) -> str:
        return self.question_fr

    def question(self, lang: str) -> str:
        return self.question_en if lang == "en" else self.question_fr

    def answer(self, lang: str) -> str:
        return self.answer_en if lang == "en" else self.answer_fr

    @property
    def rules(self) -> list[str]:
        return self.rule_ids.split()
