"""Writes on vendors: their profile (legal identity, return address) and their API keys.

The acting user's membership is checked by the portal before calling; these functions check
the data. API keys: `alk_` + 43 URL-safe characters (32 random bytes); only their SHA-256
digest is stored, the key is returned once by `api_key_create`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.accounts.services import password_set_url
from allies.core.errors import AlliesError
from allies.core.text import normalize_email
from allies.notifications.services import notification_send
from allies.vendors import legal
from allies.vendors.models import Vendor, VendorApiKey, VendorMembership
from allies.vendors.selectors import api_key_vendor_key

KEY_PREFIX = "alk_"
PREFIX_SHOWN = 12  # "alk_" + 8 characters: enough to tell keys apart, useless to guess one


def api_key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *, vendor: Vendor, name: str, actor: User | None = None, raw: str | None = None
) -> tuple[VendorApiKey, str]:
    """A new active key for `vendor`; returns (key row, the key itself — shown once).

    `raw` is only for the demo data's known keys.
    """
    raw = raw or KEY_PREFIX + secrets.token_urlsafe(32)
    key = VendorApiKey.objects.create(
        vendor=vendor,
        name=(name or "").strip()[:80] or "API",
        prefix=raw[:PREFIX_SHOWN],
        digest=api_key_digest(raw),
        created_by=actor,
    )
    return key, raw


def api_key_revoke(*, vendor: Vendor, key_id: int, actor: User | None = None) -> VendorApiKey:
    """Revoke one of `vendor`'s keys (another vendor's key does not exist: DoesNotExist)."""
    with transaction.atomic():
        key = VendorApiKey.objects.select_for_update().get(pk=key_id, vendor=vendor)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(raw: str) -> VendorApiKey | None:
    """The active key `raw` is, with its (active) vendor, or None. One query; which vendor
    may act is `vendors.selectors`' rule, shared with the portal."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    return api_key_vendor_key(digest=api_key_digest(raw))


def api_key_touch(*, key: VendorApiKey) -> None:
    """Remember when a key was last used, at most once a minute (one UPDATE)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        VendorApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


PROFILE_FIELDS = (
    "legal_name", "legal_form", "share_capital", "siret", "rcs_city", "vat_number",
    "street", "postcode", "city", "country", "email", "phone",
    "return_street", "return_postcode", "return_city", "return_country",
    "order_email_recipients", "email_language",
)  # fmt: skip
MAX_ORDER_EMAIL_RECIPIENTS = 5


def email_list_parse(text: str) -> tuple[list[str], list[str]]:
    """ "a@x.fr, B@y.fr; c@z.fr" → (valid addresses, lower-cased, without repeats; invalid ones).

    Commas, semicolons, spaces and line breaks all separate addresses."""
    valid: list[str] = []
    invalid: list[str] = []
    for raw in (text or "").replace(";", ",").replace("\n", ",").replace(" ", ",").split(","):
        if not raw.strip():
            continue
        address = normalize_email(raw.strip())
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(raw.strip())
            continue
        if address not in valid:
            valid.append(address)
    return valid, invalid


class ProfileError(AlliesError):
    """The profile is refused: `errors` maps each field to its (translated) message."""

    code = "invalid_profile"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def vendor_profile_errors(data: dict) -> dict[str, str]:
    """Field → message for what is wrong in a profile (French messages, translated)."""
    errors: dict[str, str] = {}
    country = data.get("country") or "FR"
    error = legal.siret_error(data.get("siret", ""), country=country)
    if error:
        errors["siret"] = error
    error = legal.vat_number_error(
        data.get("vat_number", ""), country=country, siret=data.get("siret", "")
    )
    if error:
        errors["vat_number"] = error
    valid, invalid = email_list_parse(data.get("order_email_recipients", ""))
    if invalid:
        errors["order_email_recipients"] = _("Adresse email invalide : %(addresses)s.") % {
            "addresses": ", ".join(invalid)
        }
    elif len(valid) > MAX_ORDER_EMAIL_RECIPIENTS or len(", ".join(valid)) > 500:
        errors["order_email_recipients"] = _("%(max)s adresses au plus.") % {
            "max": MAX_ORDER_EMAIL_RECIPIENTS
        }
    return errors


def vendor_profile_update(*, vendor: Vendor, data: dict, actor: User | None = None) -> Vendor:
    """Save the legal identity and return address; numbers are stored compacted.

    Raises ProfileError (nothing saved) when the SIRET or the VAT number is wrong.
    """
    errors = vendor_profile_errors(data)
    if errors:
        raise ProfileError(errors)
    changed = []
    for field in PROFILE_FIELDS:
        if field not in data:
            continue
        value = data[field] if data[field] is not None else ""
        if field == "email_language" and not value:
            continue  # not given: the current language stays
        if field in ("siret", "vat_number"):
            value = legal.compact(value)
        if field == "order_email_recipients":
            value = ", ".join(email_list_parse(value)[0])
        if getattr(vendor, field) != value:
            setattr(vendor, field, value)
            changed.append(field)
    if changed:
        vendor.save(update_fields=changed)
    return vendor


# --- the vendor's team -------------------------------------------------------------------


class MemberError(AlliesError):
    """A team change is refused; `str(exc)` says why (French source, translated)."""

    code = "member_refused"


def vendor_members(*, vendor: Vendor) -> list[VendorMembership]:
    return list(
        VendorMembership.objects.filter(vendor=vendor)
        .select_related("user")
        .order_by("created_at", "id")
    )


@transaction.atomic
def vendor_member_add(*, vendor: Vendor, email: str, actor: User | None = None) -> VendorMembership:
    """Give someone access to the vendor's portal (one vendor can have several users).

    An existing account (any case of the address) is added as it is. An unknown address gets
    an account with a random password nobody knows, and the email carries a link to choose
    one (the password-reset link: single use, PASSWORD_RESET_TIMEOUT; afterwards "Mot de
    passe oublié" works as for anyone). Either way the person is emailed.
    """
    address = normalize_email(email or "")
    try:
        validate_email(address)
    except ValidationError as exc:
        raise MemberError(_("Indiquez une adresse email valide.")) from exc
    user = User.objects.filter(email=address).first()
    if user is not None and not user.is_active:
        raise MemberError(
            _("Ce compte est désactivé : demandez au service client de le réactiver.")
        )
    set_password_url = ""
    if user is None:
        user = User.objects.create_user(address, password=secrets.token_urlsafe(32))
        set_password_url = password_set_url(user=user)
    membership, created = VendorMembership.objects.get_or_create(vendor=vendor, user=user)
    if not created:
        raise MemberError(_("%(email)s a déjà accès à cet espace vendeur.") % {"email": address})
    notification_send(
        template="vendor_member_added",
        user=user,
        context={
            "vendor": vendor,
            "added_by": actor,
            "set_password_url": set_password_url,
            "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
    )
    return membership


@transaction.atomic
def vendor_member_remove(*, vendor: Vendor, membership_id: int, actor: User) -> VendorMembership:
    """Take someone's access away (their account stays). Another vendor's membership does not
    exist (DoesNotExist); nobody removes themselves, so a vendor always keeps a member."""
    membership = (
        VendorMembership.objects.select_for_update()
        .select_related("user")
        .get(pk=membership_id, vendor=vendor)
    )
    if actor is not None and membership.user_id == actor.pk:
        raise MemberError(_("Vous ne pouvez pas retirer votre propre accès."))
    membership.delete()
    return membership
