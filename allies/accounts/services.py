"""Every write of the customer account: sign-up, login policy, password and email changes,
deactivation, newsletter subscription and sending, address book.

Views and the admin only parse input and call one of these. Rule violations are raised as
django.core.exceptions.ValidationError, keyed by the form field they concern when there is
one, with a message the customer can act on.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allies.accounts import selectors, throttling
from allies.accounts.models import (
    Address,
    Newsletter,
    NewsletterDelivery,
    User,
    normalize_email,
)
from allies.notifications.services import notification_send
from allies.shipping.zones import DELIVERED_COUNTRIES, Zone, normalize_postcode, zone_for

logger = logging.getLogger(__name__)

# Account enumeration (issue 9 §13), decided: the pages SAY whether an address has an
# account. Sign-up must tell a returning customer "you already have an account, log in"
# (the alternative, a confirmation email before any account opens, costs every new customer
# a round trip to their inbox, and most shops accept the trade); once sign-up says it, a
# vague login or reset page protects nothing and only confuses the customer who mistyped.
# So the three pages say it plainly, and what protects the customers instead is the
# throttle: each such answer counts against the client address's login allowance
# (`email_account_lookup`), and password guessing stays throttled per account and address.
NO_ACCOUNT = _("Aucun compte n'utilise cette adresse email. Vérifiez-la, ou créez un compte.")
EMAIL_TAKEN = _(
    "Un compte existe déjà avec cette adresse email. Connectez-vous, ou utilisez "
    "« Mot de passe oublié ? » si vous ne vous en souvenez plus."
)


def _notify(*, template: str, user: User, context: dict | None = None, **kwargs: Any) -> bool:
    """notification_send, with what every account email shows (customer service address)."""
    context = {"customer_service_email": settings.CUSTOMER_SERVICE_EMAIL, **(context or {})}
    return notification_send(template=template, user=user, context=context, **kwargs)


def _language(language: str | None) -> str:
    codes = {code for code, _label in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


# --- Sign-up and login (ACC-1, ACC-2) ---------------------------------------------------


@transaction.atomic
def user_sign_up(
    *,
    email: str,
    password: str,
    newsletter_opt_in: bool = False,
    language: str | None = None,
) -> User:
    """Open a customer account. One account per email whatever its case (ACC-1)."""
    email = normalize_email(email)
    if selectors.user_email_taken(email=email):
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken")
    user = User(email=email, language=_language(language))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    if newsletter_opt_in:
        user.newsletter_opt_in = True
        user.newsletter_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same address signed up a moment ago
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken") from None
    _notify(template="account_welcome", user=user)
    return user


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)d seconde", "%(n)d secondes", seconds) % {"n": seconds}
    minutes = -(-seconds // 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _throttled_error(lockout: throttling.Lockout) -> ValidationError:
    return ValidationError(
        _(
            "Trop de tentatives de connexion ont échoué. Pour protéger votre compte, "
            "patientez %(wait)s avant de réessayer."
        ),
        code="throttled",
        params={"wait": _wait_text(lockout.wait_seconds)},
    )


def user_authenticate(*, request: HttpRequest | None, email: str, password: str) -> User:
    """Check a login attempt under the throttling and deactivation rules (ACC-2, ACC-7).

    Returns the user to log in, or raises ValidationError with code "throttled" (wait
    first, even with the right password), "invalid_login" or "inactive" (right password,
    deactivated account: never logged in, told to contact customer service).
    """
    ip = throttling.client_ip(request)
    lockout = throttling.login_lockout(email=email, ip=ip)
    if lockout is not None:
        raise _throttled_error(lockout)
    if not email_account_lookup(request=request, email=email, refuse_if=False):
        raise ValidationError(NO_ACCOUNT, code="no_account")
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None:
        lockout = throttling.login_failure_record(email=email, ip=ip)
        if lockout is not None:
            raise _throttled_error(lockout)
        raise ValidationError(
            _(
                "Email ou mot de passe incorrect. Vérifiez votre saisie, ou utilisez "
                "« Mot de passe oublié ? »."
            ),
            code="invalid_login",
        )
    if not user.is_active:
        raise ValidationError(
            _(
                "Ce compte a été désactivé : il n'est plus possible de s'y connecter. "
                "Pour le rouvrir, contactez notre service client à l'adresse %(email)s."
            ),
            code="inactive",
            params={"email": settings.CUSTOMER_SERVICE_EMAIL},
        )
    throttling.login_success_record(email=user.email)
    return user


def email_account_lookup(*, request: HttpRequest | None, email: str, refuse_if: bool) -> bool:
    """Whether an account uses `email`, for the sign-up, login and reset pages (module note
    on enumeration). When the page refuses because of the answer (`refuse_if`: True for
    sign-up, False for login and reset), the answer counts against the client address's
    login allowance; once it is spent, ValidationError "throttled" and no answer at all.
    """
    ip = throttling.client_ip(request)
    lockout = throttling.address_lookup_lockout(ip=ip)
    if lockout is not None:
        raise _throttled_error(lockout)
    exists = selectors.user_email_taken(email=email)
    if exists == refuse_if:
        lockout = throttling.address_lookup_record(ip=ip)
        if lockout is not None:
            raise _throttled_error(lockout)
    return exists


PASSWORD_INCORRECT = _("Ce mot de passe n'est pas le bon. Saisissez votre mot de passe actuel.")


def user_current_password_check(*, request: HttpRequest | None, user: User, password: str) -> None:
    """The "current password" asked before changing the email or the password, or before
    deactivating (ACC-4, ACC-5, ACC-7), under the login throttle (issue 9 §10).

    Whoever holds a signed-in session could otherwise guess the password there, freely; so
    each wrong password counts as a failed login of this account and address, and a locked
    account is refused here as at the login page, even with the right password.
    """
    ip = throttling.client_ip(request)
    lockout = throttling.login_lockout(email=user.email, ip=ip)
    if lockout is not None:
        raise _throttled_error(lockout)
    if not user.check_password(password):
        lockout = throttling.login_failure_record(email=user.email, ip=ip)
        if lockout is not None:
            raise _throttled_error(lockout)
        raise ValidationError(PASSWORD_INCORRECT, code="password_incorrect")


# --- Profile, password, email (ACC-3, ACC-4, ACC-5, ACC-8) ------------------------------


@transaction.atomic
def user_update_profile(
    *, user: User, first_name: str, last_name: str, phone: str, language: str
) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.language = _language(language)
    user.save(update_fields=["first_name", "last_name", "phone", "language"])
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Set a new password (from the settings page or a reset link) and tell the customer.

    Every other session of the account ends (Django's session hash follows the password);
    the settings view keeps the current one with update_session_auth_hash.
    """
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.error_list}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    # Whoever set it proved they own the account: lift a lockout caused by someone else.
    throttling.login_success_record(email=user.email)
    _notify(template="account_password_changed", user=user)
    return user


def password_set_url(*, user: User) -> str:
    """The single-use, expiring link where `user` chooses a new password (ACC-3; also sent to
    someone given access to a vendor's portal without an account yet)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with translation.override(user.language):
        path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL + path


def password_reset_request(*, email: str) -> int:
    """Email a single-use, expiring reset link if an open account has this address (ACC-3).

    The page has already told a visitor whether the address has an account
    (`email_account_lookup`). Deactivated accounts get nothing (ACC-7). Returns the number
    of emails queued.
    """
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None or not user.has_usable_password():
        return 0
    if not throttling.password_reset_allowed(email=user.email):
        logger.warning("password reset emails for user %s: hourly allowance spent", user.pk)
        return 0
    sent = _notify(
        template="account_password_reset",
        user=user,
        context={
            "reset_url": password_set_url(user=user),
            "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
    )
    return int(sent)


@transaction.atomic
def user_change_email(*, user: User, new_email: str) -> User:
    """Move the account to a new address; the old one is told, the new one confirmed (ACC-5)."""
    new_email = normalize_email(new_email)
    old_email = user.email
    if new_email == old_email:
        raise ValidationError(
            {"email": _("C'est déjà l'adresse email de votre compte.")}, code="same_email"
        )
    if selectors.user_email_taken(email=new_email, exclude_pk=user.pk):
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken")
    user.email = new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        user.email = old_email
        raise ValidationError({"email": EMAIL_TAKEN}, code="email_taken") from None
    context = {"old_email": old_email, "new_email": new_email}
    _notify(template="account_email_changed_old", user=user, to_email=old_email, context=context)
    _notify(template="account_email_changed_new", user=user, context=context)
    return user


# --- Deactivation (ACC-7) ----------------------------------------------------------------


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Close the account on request: no more login, no more email; orders stay (ACC-7).

    Also ends its sessions everywhere (see User._get_session_auth_hash) and its newsletter
    subscription: reopening the account does not silently resume marketing email.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    now = timezone.now()
    user.is_active = False
    user.deactivated_at = now
    fields = ["is_active", "deactivated_at"]
    if user.newsletter_opt_in:
        user.newsletter_opt_in = False
        user.newsletter_changed_at = now
        fields += ["newsletter_opt_in", "newsletter_changed_at"]
    user.save(update_fields=fields)
    return user


@transaction.atomic
def user_reactivate(*, user: User) -> User:
    """Reopen a deactivated account: only customer service does this, from the admin."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.reactivated_at = timezone.now()
    user.save(update_fields=["is_active", "reactivated_at"])
    return user


# --- Newsletter (ACC-6) ------------------------------------------------------------------


@transaction.atomic
def newsletter_subscription_set(*, user: User, subscribed: bool) -> bool:
    """Subscribe or unsubscribe; idempotent. Returns True if the choice changed."""
    changed = (
        User.objects.filter(pk=user.pk)
        .exclude(newsletter_opt_in=subscribed)
        .update(newsletter_opt_in=subscribed, newsletter_changed_at=timezone.now())
    )
    user.newsletter_opt_in = subscribed
    return bool(changed)


def newsletter_send_request(*, newsletter: Newsletter) -> bool:
    """Queue the sending of a newsletter, once. Returns False if it was already requested."""
    from allies.accounts.tasks import newsletter_send_task

    with transaction.atomic():
        claimed = Newsletter.objects.filter(
            pk=newsletter.pk, send_requested_at__isnull=True
        ).update(send_requested_at=timezone.now())
        if not claimed:
            return False
        newsletter_send_task.enqueue(newsletter_id=newsletter.pk)
    return True


def newsletter_send(*, newsletter: Newsletter, batch_size: int = 500) -> int:
    """Email the newsletter to every subscribed open account not yet emailed (background).

    Each recipient is recorded (NewsletterDelivery, unique per newsletter and customer)
    before the email is queued, so a task that is retried or run twice never emails anyone
    twice: at most once is the right failure mode for marketing email. Returns the number of
    emails queued by this run.
    """
    sent = 0
    last_pk = 0
    while True:
        batch = list(selectors.newsletter_recipients().filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        already = set(
            NewsletterDelivery.objects.filter(newsletter=newsletter, user__in=batch).values_list(
                "user_id", flat=True
            )
        )
        for user in batch:
            if user.pk in already:
                continue
            try:
                with transaction.atomic():
                    NewsletterDelivery.objects.create(newsletter=newsletter, user=user)
            except IntegrityError:  # another run took this one
                continue
            if _newsletter_email(newsletter=newsletter, user=user):
                sent += 1
    Newsletter.objects.filter(pk=newsletter.pk).update(
        sent_at=timezone.now(),
        recipient_count=NewsletterDelivery.objects.filter(newsletter=newsletter).count(),
    )
    return sent


def _newsletter_email(*, newsletter: Newsletter, user: User) -> bool:
    # RFC 8058: the header URL takes a bare POST; it is the unprefixed (French) URL, the
    # visible link is in the customer's language. Both carry the same token.
    one_click_url = settings.SITE_URL + selectors.newsletter_unsubscribe_path(user=user)
    return _notify(
        template="account_newsletter",
        user=user,
        context={
            "newsletter": {"subject": newsletter.subject, "body": newsletter.body},
            "unsubscribe_url": settings.SITE_URL
            + selectors.newsletter_unsubscribe_path(user=user, language=user.language),
        },
        headers={
            "List-Unsubscribe": f"<{one_click_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# --- Address book (ACC-9) ----------------------------------------------------------------


def address_zone(*, country: str, postcode: str) -> Zone:
    """The delivery zone of an address, or ValidationError keyed by the field to fix."""
    country = (country or "").strip().upper()
    if country not in DELIVERED_COUNTRIES:
        raise ValidationError(
            {
                "country": _(
                    "Nous livrons uniquement en France (Corse comprise) et en Belgique : "
                    "choisissez l'un de ces deux pays."
                )
            },
            code="country_not_delivered",
        )
    try:
        return zone_for(country, postcode)
    except ValidationError as error:
        raise ValidationError({"postcode": error.error_list}) from None


@transaction.atomic
def address_save(
    *,
    user: User,
    kind: str,
    recipient: str,
    street: str,
    postcode: str,
    city: str,
    country: str,
    phone: str,
    company: str = "",
    street_extra: str = "",
    instructions: str = "",
    is_default: bool = False,
    address: Address | None = None,
) -> Address:
    """Create or edit one of the customer's addresses.

    Orders copy the address they ship to, so an edit only changes future orders. One billing
    address per customer; among delivery addresses exactly one is the default (the first one
    is, and asking for another makes it the default).
    """
    # Lock the customer's row: two tabs saving addresses at once queue up here, so the
    # "one billing / one default" rules are checked against settled data.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if address is not None:
        if address.user_id != user.pk:
            raise Address.DoesNotExist
        kind = address.kind
    if kind not in Address.Kind.values:
        raise ValidationError(_("Type d'adresse inconnu."), code="bad_kind")
    address_zone(country=country, postcode=postcode)
    if (
        address is None
        and kind == Address.Kind.BILLING
        and Address.objects.filter(user=user, kind=Address.Kind.BILLING).exists()
    ):
        raise ValidationError(
            _("Vous avez déjà une adresse de facturation : modifiez-la."), code="billing_exists"
        )
    if address is None:
        address = Address(user=user, kind=kind)
    address.recipient = recipient.strip()
    address.company = company.strip()
    address.street = street.strip()
    address.street_extra = street_extra.strip()
    address.postcode = normalize_postcode(postcode)
    address.city = city.strip()
    address.country = country.strip().upper()
    address.phone = phone.strip()
    address.instructions = instructions.strip()
    if kind == Address.Kind.DELIVERY:
        others = Address.objects.filter(user=user, kind=Address.Kind.DELIVERY)
        if address.pk:
            others = others.exclude(pk=address.pk)
        has_other_default = others.filter(is_default=True).exists()
        make_default = is_default or not has_other_default
        if make_default and has_other_default:
            others.filter(is_default=True).update(is_default=False)
        # An address already the default stays so until another one is chosen.
        address.is_default = make_default or address.is_default
    else:
        address.is_default = False
    address.save()
    return address


@transaction.atomic
def address_set_default(*, user: User, address: Address) -> Address:
    if address.user_id != user.pk:
        raise Address.DoesNotExist
    if address.kind != Address.Kind.DELIVERY:
        raise ValidationError(
            _("Seule une adresse de livraison peut être l'adresse par défaut."),
            code="not_delivery",
        )
    User.objects.select_for_update().filter(pk=user.pk).first()
    Address.objects.filter(user=user, kind=Address.Kind.DELIVERY, is_default=True).exclude(
        pk=address.pk
    ).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])
    return address


@transaction.atomic
def address_delete(*, user: User, address: Address) -> None:
    """Delete a delivery address; the oldest remaining one becomes the default if needed.

    The billing address can be edited but not deleted: checkout needs one.
    """
    if address.user_id != user.pk:
        raise Address.DoesNotExist
    if address.kind == Address.Kind.BILLING:
        raise ValidationError(
            _("L'adresse de facturation ne peut pas être supprimée, mais vous pouvez la modifier."),
            code="billing_kept",
        )
    User.objects.select_for_update().filter(pk=user.pk).first()
    was_default = address.is_default
    address.delete()
    if was_default:
        successor = (
            Address.objects.filter(user=user, kind=Address.Kind.DELIVERY).order_by("pk").first()
        )
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
