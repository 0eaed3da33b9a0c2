"""The vendor's "Relevé" (PAY-2, VEN-2): its ledger entries, running balance and payout
readiness. Only a member of the vendor reads it (ledger staff too, naming the vendor); the
page only parses the period, asks the selectors and renders.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allies.payments.ledger import (
    REFUND_HOLD_DAYS,
    statement_vendor_for,
    vendor_balance,
    vendor_balance_available,
    vendor_statement,
)

PER_PAGE = 100


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StatementPeriodForm(forms.Form):
    du = forms.DateField(label=_("Du"), required=False, widget=DATE_INPUT)
    au = forms.DateField(label=_("Au"), required=False, widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return data


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
@never_cache
@require_GET
def statement(request):
    vendor = statement_vendor_for(user=request.user, slug=request.GET.get("vendeur") or None)
    today = timezone.localdate()
    form = StatementPeriodForm(request.GET or None)
    first, last = today.replace(day=1), None  # this month by default
    if form.is_bound and form.is_valid():
        first = form.cleaned_data["du"] or (None if form.cleaned_data["au"] else first)
        last = form.cleaned_data["au"]
    since = _start_of(first) if first else None
    until = _start_of(last + timedelta(days=1)) if last else None
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError as exc:
        raise Http404 from exc
    st = vendor_statement(
        vendor=vendor, since=since, until=until, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    pages = max(1, -(-st.count // PER_PAGE))
    if page > pages:
        raise Http404
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "payments/ledger/statement.html",
        {
            "vendor": vendor,
            "statement": st,
            "form": form,
            "first_day": first,
            "last_day": last or today,
            "balance": vendor_balance(vendor=vendor),
            "available": vendor_balance_available(vendor=vendor),
            "hold_days": REFUND_HOLD_DAYS,
            "page": page,
            "pages": pages,
            "query": query.urlencode(),
        },
    )
