"""Writes of vendor onboarding: a company applies, staff ask for changes, approve or reject;
staff suspend and reinstate a vendor.

- `vendor_application_submit`: the public form ("Devenir vendeur"); one open application
  per company (SIRET) and per contact address.
- `vendor_application_request_changes`: staff's note is emailed with a signed link
  (`application_edit_token`) where the applicant edits; saving it resubmits
  (`vendor_application_resubmit`).
- `vendor_application_approve`: creates the vendor (unique slug), the contact's account and
  membership, default shipping rates the vendor then edits, emails the set-password link
  (the accounts app's password-reset link), and opens the vendor's payment account
  (`payments.accounts.vendor_account_open` with the bank account and the legal
  representative: its row now, the provider's wallet and IBAN registration after the
  commit; KYC documents follow in the portal's "Paiements"). Until that account's KYC is
  validated the payments app pays nothing. An application sent before the form asked for
  the legal representative is refused with a message telling staff to ask for changes: no
  wallet is opened with made-up data.
- `vendor_application_reject`: with a note emailed to the applicant.
- `vendor_suspend` / `vendor_reinstate`: `Vendor.is_active` off/on with the reason; the
  catalogue stops listing its offers at once (summaries recomputed in the same transaction,
  cached pages dropped after the commit); its users keep the portal for open orders.

Emails go through `notifications.notification_send` (written to the outbox in the caller's
transaction, delivered after the commit). Every stage change goes through
`states.application_transition`.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.accounts.services import password_set_url
from allies.catalog.models import Category, Offer
from allies.catalog.services import product_summaries_refresh
from allies.core.errors import AlliesError
from allies.notifications.services import notification_send
from allies.onboarding import checks
from allies.onboarding.models import (
    PENDING_STAGES,
    ApplicationEvent,
    ApplicationStage,
    VendorApplication,
    VendorStatusEvent,
)
from allies.onboarding.states import NOTE_MAX, application_transition
from allies.payments.accounts import (
    REPRESENTATIVE_FIELDS,
    VendorAccountError,
    representative_from,
    vendor_account_open,
)
from allies.shipping.services import shipping_rate_save
from allies.vendors.models import Vendor, VendorMembership

REVIEW_PERMISSION = "onboarding.change_vendorapplication"
SUSPEND_PERMISSION = "vendors.change_vendor"
EDIT_TOKEN_SALT = "allies.onboarding.application-edit"
EDIT_LINK_DAYS = 30
REASON_MAX = 500

# The shipping policy a new vendor starts with (euros TTC, working days), edited in the
# portal's "Tarifs de livraison": home delivery everywhere the marketplace delivers, relay
# points in mainland France and Belgium. Without an active rate a vendor cannot be chosen at
# checkout for that zone; with these it can sell from its first offer.
DEFAULT_SHIPPING_RATES: tuple[dict[str, Any], ...] = (
    {"mode": "home", "zone": "FR", "carrier": "colissimo", "base_fee": "4.90",
     "per_extra_item_fee": "1.00", "min_days": 2, "max_days": 4},
    {"mode": "home", "zone": "CORSE", "carrier": "colissimo", "base_fee": "12.90",
     "per_extra_item_fee": "2.00", "min_days": 4, "max_days": 7},
    {"mode": "home", "zone": "BE", "carrier": "colissimo", "base_fee": "9.90",
     "per_extra_item_fee": "1.50", "min_days": 3, "max_days": 6},
    {"mode": "relay", "zone": "FR", "carrier": "mondial_relay", "base_fee": "3.90",
     "per_extra_item_fee": "0.50", "min_days": 3, "max_days": 6, "max_parcel_weight_kg": "30"},
    {"mode": "relay", "zone": "BE", "carrier": "mondial_relay", "base_fee": "5.90",
     "per_extra_item_fee": "1.00", "min_days": 4, "max_days": 7, "max_parcel_weight_kg": "30"},
)  # fmt: skip


class ApplicationError(AlliesError):
    """The application (or the decision on it) is refused; `errors` maps fields to
    messages when the data is at fault."""

    code = "invalid_application"

    def __init__(
        self, message: str = "", *, errors: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        self.errors = errors or {}
        super().__init__(message or " ".join(self.errors.values()), code=code)


class VendorStatusError(AlliesError):
    """A suspension or reinstatement refused (already suspended, not suspended…)."""

    code = "vendor_status_refused"


def _require(user: Any, permission: str) -> None:
    if not (user is not None and user.is_active and user.is_staff and user.has_perm(permission)):
        raise ApplicationError(
            _("Vous n'avez pas le droit de faire cette action."), code="forbidden"
        )


def _note(note: str, *, required: str) -> str:
    note = (note or "").strip().replace("\r\n", "\n")
    if not note:
        raise ApplicationError(required, errors={"note": required})
    if len(note) > NOTE_MAX:
        message = _("%(n)s caractères au plus.") % {"n": NOTE_MAX}
        raise ApplicationError(message, errors={"note": message})
    return note


# --- applying ------------------------------------------------------------------------------


def _validated(data: dict[str, Any], *, exclude_pk: int | None = None) -> dict[str, Any]:
    """The cleaned data, or ApplicationError with every field's message."""
    cleaned = checks.clean(data)
    errors = checks.application_errors(cleaned)
    categories = list(Category.objects.filter(pk__in=[_pk(c) for c in cleaned["categories"]]))
    if cleaned["categories"] and len(categories) != len(set(map(_pk, cleaned["categories"]))):
        errors.setdefault("categories", _("Choisissez des catégories de la liste."))
    cleaned["categories"] = categories
    if not errors:
        pending = VendorApplication.objects.filter(stage__in=PENDING_STAGES)
        if exclude_pk is not None:
            pending = pending.exclude(pk=exclude_pk)
        if pending.filter(siret=cleaned["siret"]).exists():
            errors["siret"] = _(
                "Une candidature pour cette entreprise est déjà en cours d'examen : nous vous "
                "répondrons par email."
            )
        elif pending.filter(contact_email=cleaned["contact_email"]).exists():
            errors["contact_email"] = _(
                "Une candidature envoyée avec cette adresse est déjà en cours d'examen : nous "
                "vous répondrons par email."
            )
        elif Vendor.objects.filter(siret=cleaned["siret"]).exists():
            errors["siret"] = _(
                "Cette entreprise vend déjà sur Les Alliés. Pour donner accès à une autre "
                "personne, passez par « Équipe » dans l'espace vendeur."
            )
    if errors:
        raise ApplicationError(errors=errors)
    return cleaned


def _pk(value: Any) -> int:
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        return 0


_DATA_FIELDS = (*checks.TEXT_FIELDS, *REPRESENTATIVE_FIELDS)


def vendor_application_submit(*, data: dict[str, Any], language: str = "fr") -> VendorApplication:
    """Record a company's application (stage "submitted") and acknowledge it by email.

    `data`: the form's fields (`checks.TEXT_FIELDS`, the legal representative's
    `payments.accounts.REPRESENTATIVE_FIELDS`, its birth date as a date or ISO text) and
    `categories` (ids or Category rows). ApplicationError with `errors` by field when
    something is wrong; nothing is written then.
    """
    cleaned = _validated(data)
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            application = VendorApplication.objects.create(
                language=language, **{name: cleaned[name] for name in _DATA_FIELDS}
            )
            application.categories.set(cleaned["categories"])
            ApplicationEvent.objects.create(
                application=application, from_stage="", to_stage=ApplicationStage.SUBMITTED
            )
            _applicant_email(application, "vendor_application_received")
    except IntegrityError as exc:  # the same company's application committed meanwhile
        message = _(
            "Une candidature pour cette entreprise est déjà en cours d'examen : nous vous "
            "répondrons par email."
        )
        raise ApplicationError(errors={"siret": message}) from exc
    return application


def _applicant_email(application: VendorApplication, template: str, **context: Any) -> None:
    notification_send(
        template=template,
        to_email=application.contact_email,
        language=application.language,
        context={"application": application, **context},
    )


def application_edit_token(*, application: VendorApplication) -> str:
    """The signed token of the edit link: the application and the round of changes it was
    sent for (an older link stops working when staff ask again)."""
    return signing.dumps(
        {"a": application.pk, "r": application.changes_round}, salt=EDIT_TOKEN_SALT
    )


def application_edit_url(*, application: VendorApplication) -> str:
    with translation.override(application.language):
        path = reverse("storefront:become_vendor_edit")
    return f"{settings.SITE_URL}{path}?jeton={application_edit_token(application=application)}"


def application_for_token(*, token: str) -> VendorApplication | None:
    """The application an edit link is for, while it waits for the applicant's changes;
    None for a forged, expired, superseded or used link."""
    if not token or len(token) > 200:
        return None
    try:
        payload = signing.loads(token, salt=EDIT_TOKEN_SALT, max_age=EDIT_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    application = (
        VendorApplication.objects.filter(
            pk=_pk(payload.get("a")), stage=ApplicationStage.CHANGES_REQUESTED
        )
        .prefetch_related("categories")
        .first()
    )
    if application is None or application.changes_round != payload.get("r"):
        return None
    return application


def vendor_application_resubmit(
    *, application: VendorApplication, data: dict[str, Any]
) -> VendorApplication:
    """The applicant's corrected application (from the edit link): stage "resubmitted"."""
    cleaned = _validated(data, exclude_pk=application.pk)
    with transaction.atomic():
        application = application_transition(
            application=application,
            to=ApplicationStage.RESUBMITTED,
            note=_("Candidature modifiée par l'entreprise."),
            **{name: cleaned[name] for name in _DATA_FIELDS},
        )
        application.categories.set(cleaned["categories"])
    return application


# --- staff's decisions ---------------------------------------------------------------------


def vendor_application_request_changes(
    *, application: VendorApplication, by: User, note: str
) -> VendorApplication:
    """Ask the applicant to change something: the note is emailed with a link to edit."""
    _require(by, REVIEW_PERMISSION)
    note = _note(note, required=_("Dites à l'entreprise ce qu'elle doit modifier."))
    with transaction.atomic():
        application = application_transition(
            application=application,
            to=ApplicationStage.CHANGES_REQUESTED,
            actor=by,
            note=note,
            changes_round=application.changes_round + 1,
        )
        _applicant_email(
            application,
            "vendor_application_changes",
            note=note,
            edit_url=application_edit_url(application=application),
            valid_days=EDIT_LINK_DAYS,
        )
    return application


def vendor_application_reject(
    *, application: VendorApplication, by: User, note: str
) -> VendorApplication:
    """Turn the application down; the note (why) is emailed to the applicant."""
    _require(by, REVIEW_PERMISSION)
    note = _note(note, required=_("Indiquez à l'entreprise pourquoi sa candidature est refusée."))
    with transaction.atomic():
        application = application_transition(
            application=application, to=ApplicationStage.REJECTED, actor=by, note=note
        )
        _applicant_email(application, "vendor_application_rejected", note=note)
    return application


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "vendeur")[:120].strip("-") or "vendeur"
    taken = set(Vendor.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def vendor_application_approve(*, application: VendorApplication, by: User) -> Vendor:
    """Create the vendor from the application, with its first user and default shipping
    rates; email the contact; then open its payment account at the provider.

    The data is checked again (a rule may have changed; another vendor may hold the SIRET
    since); ApplicationError (nothing written) when it fails, or when the contact's address
    belongs to a deactivated account.
    """
    _require(by, REVIEW_PERMISSION)
    if checks.representative_missing(application):
        raise ApplicationError(
            _(
                "Cette candidature ne dit pas qui est le représentant légal de l'entreprise (elle "
                "a été envoyée avant que le formulaire le demande) : le compte de paiement ne "
                "peut pas être ouvert sans lui. Demandez une modification à l'entreprise pour "
                "qu'elle le complète."
            ),
            code="representative_missing",
        )
    cleaned = checks.clean(vars(application))
    errors = checks.application_errors({**cleaned, "categories": [0]})  # categories were checked
    if errors:
        raise ApplicationError(errors=errors)
    with transaction.atomic():
        application = application_transition(
            application=application, to=ApplicationStage.APPROVED, actor=by
        )
        if Vendor.objects.filter(siret=application.siret).exists():
            raise ApplicationError(
                _("Un vendeur a déjà ce SIRET : la candidature ne peut pas être acceptée.")
            )
        user = User.objects.filter(email=application.contact_email).first()
        if user is not None and not user.is_active:
            raise ApplicationError(
                _(
                    "Le compte client de %(email)s est désactivé : réactivez-le avant d'accepter "
                    "la candidature."
                )
                % {"email": application.contact_email}
            )
        vendor = Vendor.objects.create(
            name=application.name,
            slug=_unique_slug(application.name),
            legal_name=application.legal_name,
            legal_form=application.legal_form,
            share_capital=application.share_capital,
            siret=application.siret,
            vat_number=application.vat_number,
            rcs_city=application.rcs_city,
            street=application.street,
            postcode=application.postcode,
            city=application.city,
            country=application.country,
            email=application.contact_email,
            phone=application.contact_phone,
            email_language=application.language,
        )
        set_password_url = ""
        if user is None:
            # A random password nobody knows, not an unusable one: if the emailed link expires
            # unused, "Mot de passe oublié" still works (it skips unusable passwords), as for
            # a team member added in the portal (`vendors.services.vendor_member_add`).
            user = User.objects.create_user(
                application.contact_email,
                password=secrets.token_urlsafe(32),
                first_name=application.contact_first_name,
                last_name=application.contact_last_name,
                phone=application.contact_phone,
                language=application.language,
            )
            set_password_url = password_set_url(user=user)
        VendorMembership.objects.create(vendor=vendor, user=user)
        for rate in DEFAULT_SHIPPING_RATES:
            shipping_rate_save(vendor=vendor, **rate)
        VendorApplication.objects.filter(pk=application.pk).update(vendor=vendor)
        application.vendor = vendor
        notification_send(
            template="vendor_application_approved",
            user=user,
            language=application.language,
            context={
                "vendor": vendor,
                "application": application,
                "set_password_url": set_password_url,
                "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
        )
        # The payment account's row is written in this transaction (no vendor without one);
        # the provider calls (wallet, IBAN) wait for the commit inside vendor_account_open.
        try:
            vendor_account_open(
                vendor=vendor,
                iban=application.iban,
                bic=application.bic,
                holder=application.account_holder,
                representative=representative_from(cleaned),
                by=by,
            )
        except VendorAccountError as exc:
            raise ApplicationError(exc.message, errors=exc.errors or {"iban": exc.message}) from exc
    return vendor


# --- suspension ----------------------------------------------------------------------------


def _vendor_product_ids(vendor: Vendor) -> list[int]:
    return list(
        Offer.objects.filter(vendor=vendor)
        .values_list("variant__product_id", flat=True)
        .distinct()
        .order_by()
    )


def _vendor_email(vendor: Vendor, template: str, **context: Any) -> None:
    notification_send(
        template=template,
        to_email=vendor.email,
        language=vendor.email_language,
        context={"vendor": vendor, **context},
    )


def _catalogue_refresh(vendor: Vendor) -> None:
    """Listing summaries now, in the same transaction: once committed, the pages and the
    listings' filter options that showed the vendor's offers are read afresh
    (`core.page_cache`: the vendor's save renews every page's generation)."""
    product_summaries_refresh(product_ids=_vendor_product_ids(vendor))


def vendor_suspend(*, vendor: Vendor, by: User, reason: str) -> Vendor:
    """Suspend `vendor`: its offers leave the site at once; its users keep the portal to
    handle the orders already placed. The reason is emailed to the vendor."""
    if not (by is not None and by.is_active and by.is_staff and by.has_perm(SUSPEND_PERMISSION)):
        raise VendorStatusError(
            _("Vous n'avez pas le droit de faire cette action."), code="forbidden"
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise VendorStatusError(_("Indiquez le motif de la suspension : il est envoyé au vendeur."))
    if len(reason) > REASON_MAX:
        raise VendorStatusError(_("Le motif compte %(n)s caractères au plus.") % {"n": REASON_MAX})
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        if locked.suspended_at is not None:
            raise VendorStatusError(_("Ce vendeur est déjà suspendu."))
        if not locked.is_active:
            raise VendorStatusError(_("Ce vendeur est fermé : il n'y a rien à suspendre."))
        locked.is_active = False
        locked.suspended_at = timezone.now()
        locked.suspension_reason = reason
        locked.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
        VendorStatusEvent.objects.create(
            vendor=locked, action=VendorStatusEvent.Action.SUSPENDED, actor=by, reason=reason
        )
        _catalogue_refresh(locked)
        _vendor_email(locked, "vendor_suspended", reason=reason)
    return locked


def vendor_reinstate(*, vendor: Vendor, by: User) -> Vendor:
    """Lift the suspension: the vendor's active offers are on the site again at once."""
    if not (by is not None and by.is_active and by.is_staff and by.has_perm(SUSPEND_PERMISSION)):
        raise VendorStatusError(
            _("Vous n'avez pas le droit de faire cette action."), code="forbidden"
        )
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        if locked.suspended_at is None:
            raise VendorStatusError(_("Ce vendeur n'est pas suspendu."))
        locked.is_active = True
        locked.suspended_at = None
        locked.suspension_reason = ""
        locked.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
        VendorStatusEvent.objects.create(
            vendor=locked, action=VendorStatusEvent.Action.REINSTATED, actor=by
        )
        _catalogue_refresh(locked)
        _vendor_email(locked, "vendor_reinstated")
    return locked
