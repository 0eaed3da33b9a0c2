"""The console's help-centre pages (SITE-2): the questions by topic, create and edit (both
languages, rule IDs, published flag, position) with a preview of the rendered answer before
saving. Agents only (`agent_required`); every write is `allies.helpcenter.services`'s, which
refuses a typed delay, an unknown link or token and a rule ID PRODUCT.md does not have."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allies.accounts.models import User
from allies.backoffice.views import MAX_ID, agent_required
from allies.core.numbers import NumberError, parse_int
from allies.helpcenter.delays import DELAYS, VALUES
from allies.helpcenter.markup import LINKS, markup_errors, render_html
from allies.helpcenter.models import Question
from allies.helpcenter.services import (
    POSITION_MAX,
    HelpcenterError,
    QuestionData,
    question_create,
    question_update,
)
from allies.helpcenter.topics import TOPICS, Topic
from allies.support.services import is_supervisor

FIELDS = ("topic", "slug", "position", "question_fr", "answer_fr", "question_en", "answer_en",
          "rule_ids")  # fmt: skip


class QuestionForm(forms.Form):
    """Parses the form; the rules (delays, links, rule IDs, unique slug) are the service's."""

    topic = forms.ChoiceField(label=gettext_lazy("Rubrique"), choices=Topic.choices)
    slug = forms.CharField(label=gettext_lazy("Adresse (slug)"), max_length=120)
    position = forms.CharField(label=gettext_lazy("Position"), max_length=12, initial="0")
    is_published = forms.BooleanField(label=gettext_lazy("Publiée"), required=False)
    is_featured = forms.BooleanField(
        label=gettext_lazy("Question fréquente (accueil de l'aide)"), required=False
    )
    question_fr = forms.CharField(label=gettext_lazy("Question (français)"), max_length=200)
    answer_fr = forms.CharField(
        label=gettext_lazy("Réponse (français)"), max_length=10_000, widget=forms.Textarea
    )
    question_en = forms.CharField(label=gettext_lazy("Question (anglais)"), max_length=200)
    answer_en = forms.CharField(
        label=gettext_lazy("Réponse (anglais)"), max_length=10_000, widget=forms.Textarea
    )
    rule_ids = forms.CharField(
        label=gettext_lazy("Règles décrites (PRODUCT.md)"),
        max_length=200,
        help_text=gettext_lazy("Séparées par des espaces, par exemple « RET-1 RET-2 »."),
    )

    def clean_position(self) -> int:
        try:
            return parse_int(self.cleaned_data["position"], min_value=0, max_value=POSITION_MAX)
        except NumberError as exc:
            raise forms.ValidationError(exc.message) from None

    def data_for_service(self) -> QuestionData:
        c = self.cleaned_data
        values = {name: c[name] for name in FIELDS}
        return QuestionData(**values, is_published=c["is_published"], is_featured=c["is_featured"])


def _initial(question: Question) -> dict[str, Any]:
    values = {name: getattr(question, name) for name in FIELDS}
    return {**values, "is_published": question.is_published, "is_featured": question.is_featured}


def _preview(form: QuestionForm) -> dict[str, Any] | None:
    """Both languages rendered as customers will read them (when the markup is valid)."""
    if not form.is_bound:
        return None
    previews = []
    for lang, label in (("fr", _("Français")), ("en", _("Anglais"))):
        question = str(form.data.get(f"question_{lang}", ""))
        answer = str(form.data.get(f"answer_{lang}", ""))
        errors = markup_errors(answer)
        previews.append(
            {
                "lang": lang,
                "label": label,
                "question": question,
                "html": None if errors else render_html(answer, lang=lang),
                "errors": errors,
            }
        )
    return {"languages": previews}


def _tokens() -> dict[str, Any]:
    return {
        "links": sorted(LINKS.items()),
        "delays": [(d.key, d.text("fr"), d.label) for d in DELAYS.values()],
        "values": [(v.key, v.source(), v.label) for v in VALUES.values()],
    }


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context = {
        "section": "helpcenter",
        "is_supervisor": is_supervisor(request.user),
        "tokens": _tokens(),
        **context,
    }
    return render(request, "backoffice/helpcenter/edit.html", context, status=status)


def _get(pk: int) -> Question:
    if not 0 < pk <= MAX_ID:
        raise Http404("question")
    try:
        return Question.objects.select_related("updated_by").get(pk=pk)
    except Question.DoesNotExist as exc:
        raise Http404("question") from exc


def _edit(request: HttpRequest, question: Question | None) -> HttpResponse:
    if request.method != "POST":
        initial = _initial(question) if question else {"is_published": True, "position": "0"}
        return _render(request, {"form": QuestionForm(initial=initial), "question": question})
    form = QuestionForm(request.POST)
    actor = cast(User, request.user)  # agent_required: a logged-in agent
    preview = _preview(form) if request.POST.get("action") == "preview" else None
    if preview is not None:
        form.is_valid()  # show the field errors beside the preview; nothing is saved
        return _render(request, {"form": form, "question": question, "preview": preview})
    if form.is_valid():
        try:
            if question is None:
                saved = question_create(actor=actor, data=form.data_for_service())
                messages.success(request, _("La question est créée."))
            else:
                saved = question_update(
                    question=question, actor=actor, data=form.data_for_service()
                )
                messages.success(request, _("La question est enregistrée : elle est en ligne."))
            return redirect("backoffice:helpcenter_edit", pk=saved.pk)
        except HelpcenterError as exc:
            for field, errors in exc.errors.items():
                for message in errors:
                    form.add_error(None if field not in form.fields else field, message)
    return _render(request, {"form": form, "question": question}, status=400)


@agent_required
def question_list(request: HttpRequest) -> HttpResponse:
    questions = list(Question.objects.select_related("updated_by").order_by("position", "pk"))
    groups = [(t, [q for q in questions if q.topic == t.slug]) for t in TOPICS]
    return render(
        request,
        "backoffice/helpcenter/list.html",
        {
            "section": "helpcenter",
            "is_supervisor": is_supervisor(request.user),
            "groups": groups,
            "count": len(questions),
        },
    )


@agent_required
def question_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@agent_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _get(pk))
