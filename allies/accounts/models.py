"""Customer accounts: the user (identified by email), their sessions, the address book,
newsletters."""

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from allies.core.countries import Country
from allies.core.text import normalize_email

if TYPE_CHECKING:  # the stubs' manager is generic; Django's class is not subscriptable
    _UserManagerBase = BaseUserManager["User"]
else:
    _UserManagerBase = BaseUserManager


class UserManager(_UserManagerBase):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def create_user(self, email, password=None, **extra):
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Language(models.TextChoices):
        FR = "fr", "Français"
        EN = "en", "English"

    email = models.EmailField(_("adresse email"), max_length=254, unique=True)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    language = models.CharField(
        _("langue"), max_length=2, choices=Language.choices, default=Language.FR
    )
    newsletter_opt_in = models.BooleanField(_("abonné aux offres"), default=False)
    newsletter_changed_at = models.DateTimeField(_("abonnement modifié le"), null=True, blank=True)
    is_staff = models.BooleanField(_("équipe Alliés"), default=False)
    is_active = models.BooleanField(_("compte actif"), default=True)
    deactivated_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)
    reactivated_at = models.DateTimeField(_("réactivé le"), null=True, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("client")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def _get_session_auth_hash(self, secret=None):
        # AUTHENTICATION_BACKENDS lets inactive users authenticate (so the login form can tell
        # them their account is deactivated), which also means its get_user() keeps their
        # existing sessions alive. Mixing the (de/re)activation stamps into the session hash
        # ends every session of an account when it is deactivated, and sessions opened before
        # a deactivation stay dead after a reactivation. Accounts never deactivated keep
        # Django's own hash.
        if self.deactivated_at is None and self.reactivated_at is None and self.is_active:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        material = f"{self.password}|{self.is_active}|{self.deactivated_at}|{self.reactivated_at}"
        return salted_hmac(
            "allies.accounts.User.session_auth_hash", material, secret=secret, algorithm="sha256"
        ).hexdigest()


class Session(AbstractBaseSession):
    """A browser's session, as Django keeps it, with the signed-in user's id in a column of its
    own: the session and its user are read in one query (storefront.sessions), and a deleted
    account takes its sessions with it."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("client"),
    )  # fmt: skip

    @classmethod
    def get_session_store_class(cls):
        return import_module(settings.SESSION_ENGINE).SessionStore


class Address(models.Model):
    """A saved address; orders copy it, so editing one only changes future orders (ACC-9)."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("Livraison")
        BILLING = "billing", _("Facturation")

    Country = Country

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    recipient = models.CharField(_("destinataire"), max_length=150)
    company = models.CharField(_("société"), max_length=150, blank=True)
    street = models.CharField(_("adresse"), max_length=200)
    street_extra = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, choices=Country.choices)
    phone = models.CharField(_("téléphone"), max_length=30)
    instructions = models.CharField(_("instructions de livraison"), max_length=300, blank=True)
    is_default = models.BooleanField(_("adresse de livraison par défaut"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("adresse")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="billing"),
                name="accounts_one_billing_address",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="delivery", is_default=True),
                name="accounts_one_default_delivery_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}, {self.street}, {self.postcode} {self.city}"


class Newsletter(models.Model):
    """A newsletter written by staff and sent to every subscribed active customer."""

    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    send_requested_at = models.DateTimeField(_("envoi demandé le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("destinataires"), default=0)

    class Meta:
        verbose_name = _("newsletter")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class NewsletterDelivery(models.Model):
    """One row per (newsletter, customer) emailed: a re-run of the sending task skips them."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("envoi de newsletter")
        verbose_name_plural = _("envois de newsletter")
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "user"], name="accounts_newsletter_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.newsletter_id} → {self.user_id}"
