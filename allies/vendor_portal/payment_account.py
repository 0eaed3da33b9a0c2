"""The portal's "Paiements" page (PAY-1): the vendor's wallet at the payment provider, its KYC
checklist (Kbis, ID of the manager, RIB) with one upload form per document, and the bank
account the payouts go to (masked).

A vendor whose wallet is still to open and whose legal representative is unknown (a vendor
made before the application asked for it) gives it with the bank details: the provider
identifies that person when it opens the wallet (`onboarding.forms.LegalRepresentativeFields`,
checked by `payments.accounts`).

Only the vendor's own members reach it (`vendor_member_required`); everything is read and
written through `request.vendor`. Uploads pass the project's attachment checks first
(`allies.support.attachments`: content sniffing, size limit, PDF structure, photos
re-encoded without metadata), then `payments.accounts.kyc_document_submit`, which takes PDF,
JPEG or PNG only. A refused file stores nothing and the page says why, in French.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from allies.onboarding.forms import LegalRepresentativeFields
from allies.payments.accounts import (
    VendorAccountError,
    kyc_document_submit,
    representative_clean,
    representative_from,
    representative_of,
    vendor_account_open,
)
from allies.payments.models import KycDocument, VendorAccount
from allies.payments.selectors import vendor_account_overview
from allies.support.attachments import attachment_check
from allies.support.errors import AttachmentRefused
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.views import _render


class BankDetailsForm(forms.Form):
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=60)
    bic = forms.CharField(label=gettext_lazy("BIC"), max_length=20)
    holder = forms.CharField(label=gettext_lazy("Titulaire du compte"), max_length=100)


class BankDetailsAndRepresentativeForm(LegalRepresentativeFields, BankDetailsForm):
    """The bank details of a wallet still to open without a known legal representative."""


def _form_class(account: VendorAccount | None) -> type[BankDetailsForm]:
    needs = account is None or (not account.account_id and representative_of(account) is None)
    return BankDetailsAndRepresentativeForm if needs else BankDetailsForm


class KycDocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=KycDocument.Kind.choices, widget=forms.HiddenInput)
    file = forms.FileField(
        label=gettext_lazy("Fichier"),
        help_text=gettext_lazy("PDF, JPEG ou PNG, lisible et en couleur, 10 Mo au plus."),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à envoyer."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )


def _page(request, *, bank_form=None, failed_kind: str = "", document_form=None, status=200):
    overview = vendor_account_overview(vendor=request.vendor)
    rows: list[dict[str, Any]] = []
    for item in overview.checklist:
        form = (
            document_form
            if item.kind == failed_kind and document_form is not None
            else KycDocumentForm(initial={"kind": item.kind}, auto_id=f"id_{item.kind}_%s")
        )
        rows.append({"item": item, "form": form})
    account = overview.account
    if bank_form is None:
        initial = {"holder": request.vendor.legal_name}
        if account is not None and account.holder:
            initial = {"bic": account.bic, "holder": account.holder}
        bank_form = _form_class(account)(initial=initial)
    missing_labels = [row["item"].label for row in rows if row["item"].kind in overview.missing]
    context = {
        "overview": overview,
        "account": account,
        "rows": rows,
        "bank_form": bank_form,
        "asks_representative": isinstance(bank_form, LegalRepresentativeFields),
        "missing_labels": missing_labels,
        "Status": KycDocument.Status,
    }
    return _render(request, "payment_account.html", context, section="payments", status=status)


@vendor_member_required
@require_http_methods(["GET", "POST"])
def payment_account(request):
    """The page; its POST saves the bank details (opens the wallet the first time)."""
    if request.method == "GET":
        return _page(request)
    account = VendorAccount.objects.filter(vendor_id=request.vendor.pk).first()
    form = _form_class(account)(request.POST)
    if form.is_valid():
        representative = None
        if isinstance(form, LegalRepresentativeFields):
            representative = representative_from(representative_clean(form.cleaned_data))
        try:
            vendor_account_open(
                vendor=request.vendor,
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                holder=form.cleaned_data["holder"],
                representative=representative,
                by=request.user,
            )
        except VendorAccountError as exc:
            if exc.errors:
                for name, message in exc.errors.items():
                    form.add_error(name if name in form.fields else None, message)
            else:
                field = exc.code if exc.code in ("iban", "bic", "holder") else None
                form.add_error(field, exc.message)
        else:
            messages.success(request, _("Coordonnées bancaires enregistrées."))
            return redirect("vendor_portal:payment_account")
    return _page(request, bank_form=form, status=422)


@vendor_member_required
@require_POST
def payment_account_document(request):
    """Upload one KYC document; nothing is stored when the file is refused."""
    form = KycDocumentForm(request.POST, request.FILES)
    kind = request.POST.get("kind", "")
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            checked = attachment_check(form.cleaned_data["file"])
            document = kyc_document_submit(
                vendor=request.vendor, kind=kind, uploaded_file=checked, by=request.user
            )
        except (AttachmentRefused, VendorAccountError) as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("« %(kind)s » envoyé : il est en cours de vérification.")
                % {"kind": document.get_kind_display()},
            )
            return redirect("vendor_portal:payment_account")
    if kind not in KycDocument.Kind.values:
        kind = ""
    return _page(request, failed_kind=kind, document_form=form, status=422)
