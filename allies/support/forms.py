"""The customer's forms of "Assistance en ligne": the pre-sale question ("Posez une
question"), the request on an order ("Contacter le vendeur" / "Assistance en ligne"), a reply
in a thread, and the contact form (CS-4).

Forms only parse: the rules (which motif fits which kind, who may write, what a file may be)
are the services'. A service's refusal lands on the field it is about
(`SupportFormMixin.add_service_error`), so the customer keeps what they typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from allies.orders.models import Order
from allies.support.errors import AttachmentRefused, SupportError
from allies.support.models import MOTIFS_BY_KIND, Motif, ThreadKind

# The help page's two answers to "Indiquez si votre question est liée à votre commande ou
# s'il s'agit d'une question de précommande".
ABOUT_ORDER = "commande"
ABOUT_PRE_ORDER = "precommande"
# Service refusals and the field they are about.
_FIELD_OF_CODE = {
    "empty": "body",
    "too_long": "body",
    "invalid_motif": "motif",
    "name_required": "name",
    "invalid_email": "email",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files; their checks (type from the content, size, count) are the
    service's (`allies.support.attachments`), which refuses them all or none."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Pièces jointes"))
        kwargs.setdefault(
            "help_text",
            _("Photos (JPEG, PNG, WebP) ou PDF, %(count)s fichiers de %(size)s Mo au plus.")
            % {
                "count": settings.SUPPORT_ATTACHMENTS_PER_MESSAGE,
                "size": f"{settings.SUPPORT_ATTACHMENT_MAX_BYTES / (1024 * 1024):g}",
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp,application/pdf")

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(AttachmentsField, self).clean(one, initial) for one in files if one]


class MotifSelect(forms.Select):
    """A motif list whose options name the kinds of request they fit (`data-kinds`), so
    support.js can show only the motifs of the kind the customer chose."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        kinds = [kind.value for kind, motifs in MOTIFS_BY_KIND.items() if value in motifs]
        if kinds:
            option["attrs"]["data-kinds"] = " ".join(kinds)
        return option


def motif_choices(*kinds: ThreadKind) -> list[tuple[str, str]]:
    """The motifs of `kinds`, in the order the first kind lists them, then the others'."""
    seen: dict[str, Any] = {}
    for kind in kinds:
        for motif in MOTIFS_BY_KIND[kind]:
            seen.setdefault(motif.value, motif.label)
    return [("", _("Choisissez un motif")), *seen.items()]


def _body_field() -> forms.CharField:
    return forms.CharField(
        label=_("Votre message"),
        max_length=settings.SUPPORT_MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 7}),
        error_messages={"required": _("Écrivez votre message.")},
    )


class SupportFormMixin:
    """Puts a service's refusal on the field it is about."""

    def add_service_error(self, error: SupportError) -> None:
        field = "attachments" if isinstance(error, AttachmentRefused) else None
        field = field or _FIELD_OF_CODE.get(error.code)
        if field not in self.fields:  # type: ignore[attr-defined]
            field = None
        self.add_error(field, error.message)  # type: ignore[attr-defined]


class QuestionForm(SupportFormMixin, forms.Form):
    """ "Posez une question" on an offer (CAT-4)."""

    motif = forms.ChoiceField(
        label=_("Objet"),
        choices=motif_choices(ThreadKind.QUESTION),
        error_messages={"required": _("Choisissez un motif dans la liste.")},
    )
    body = _body_field()
    attachments = AttachmentsField()


class OrderChoiceForm(SupportFormMixin, forms.Form):
    """The first step of "Assistance en ligne" on an order: which vendor, order or
    pre-order question, which motif; then "Écrire le message"."""

    vendor_order = forms.TypedChoiceField(
        label=_("Vendeur"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le vendeur concerné.")},
    )
    about = forms.ChoiceField(
        label=_("Votre question"),
        choices=[
            (ABOUT_ORDER, _("Elle concerne ma commande")),
            (ABOUT_PRE_ORDER, _("C'est une question de précommande")),
        ],
        initial=ABOUT_ORDER,
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si votre question concerne votre commande.")},
    )
    motif = forms.ChoiceField(
        label=_("Objet"),
        choices=motif_choices(ThreadKind.ORDER, ThreadKind.QUESTION),
        widget=MotifSelect,
        error_messages={"required": _("Choisissez un motif dans la liste.")},
    )

    def __init__(self, *args: Any, vendor_orders: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendor_orders = {vo.pk: vo for vo in vendor_orders}
        field = self.fields["vendor_order"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(vo.pk, vo.vendor.name) for vo in vendor_orders]
        if len(vendor_orders) == 1:
            field.initial = vendor_orders[0].pk

    @property
    def kind(self) -> ThreadKind:
        about = (self.cleaned_data or {}).get("about")
        return ThreadKind.QUESTION if about == ABOUT_PRE_ORDER else ThreadKind.ORDER

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        motif = data.get("motif")
        if motif and data.get("about") and Motif(motif) not in MOTIFS_BY_KIND[self.kind]:
            self.add_error("motif", _("Ce motif ne convient pas à une question de précommande."))
        return data

    @property
    def chosen_vendor_order(self) -> Any:
        return self.vendor_orders.get(self.cleaned_data.get("vendor_order"))


class OrderRequestForm(OrderChoiceForm):
    """The whole request: the choices of the first step (sent again, hidden) and the
    message with its files ("Envoyer un message")."""

    body = _body_field()
    attachments = AttachmentsField()


class ReplyForm(SupportFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Votre réponse"),
        max_length=settings.SUPPORT_MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Écrivez votre message.")},
    )
    attachments = AttachmentsField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A file alone is a message too (a photo of the parcel says it all).
        self.fields["body"].required = not (self.files and self.files.getlist("attachments"))


class OrderField(forms.ModelChoiceField):
    """One of the customer's orders, by its reference and date."""

    def label_from_instance(self, obj: Any) -> str:
        date = formats.date_format(timezone.localtime(obj.created_at), "SHORT_DATE_FORMAT")
        return str(_("%(ref)s du %(date)s") % {"ref": obj.reference, "date": date})


class ContactForm(SupportFormMixin, forms.Form):
    """The contact form (CS-4), for anyone. `website` is a honeypot: hidden from people
    (CSS and aria-hidden), filled in by robots that fill every field."""

    motif = forms.ChoiceField(
        label=_("Sujet de votre demande"),
        choices=motif_choices(ThreadKind.CONTACT),
        error_messages={"required": _("Choisissez un sujet dans la liste.")},
    )
    order = OrderField(
        label=_("Commande concernée"),
        queryset=Order.objects.none(),
        required=False,
        empty_label=_("Aucune commande en particulier"),
    )
    name = forms.CharField(label=_("Votre nom"), max_length=150)
    email = forms.EmailField(label=_("Votre adresse email"), max_length=254)
    body = _body_field()
    attachments = AttachmentsField()
    website = forms.CharField(
        label=_("Ne pas remplir ce champ"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, orders: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order_field = self.fields["order"]
        assert isinstance(order_field, forms.ModelChoiceField)
        if orders is None:  # a visitor: no orders to choose, a name and an address instead
            del self.fields["order"]
        else:  # a customer: their account says who they are
            order_field.queryset = orders
            del self.fields["name"]
            del self.fields["email"]

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())
