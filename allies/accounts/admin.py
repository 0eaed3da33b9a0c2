"""Back office for customers and newsletters (customer service and marketing staff).

State changes go through services: (re)activation and newsletter sending are admin actions,
the "active" flag itself is read-only in the forms.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allies.accounts import services
from allies.accounts.models import Address, Newsletter, User, normalize_email


class CustomerCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(services.EMAIL_TAKEN)
        return email


class CustomerChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    can_delete = False
    fields = (
        "kind", "is_default", "recipient", "company", "street", "street_extra",
        "postcode", "city", "country", "phone", "instructions",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = CustomerChangeForm
    add_form = CustomerCreationForm
    ordering = ("-date_joined",)
    list_display = (
        "email", "first_name", "last_name", "is_active", "is_staff",
        "newsletter_opt_in", "date_joined", "deactivated_at",
    )  # fmt: skip
    list_filter = ("is_active", "is_staff", "newsletter_opt_in")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = (
        "is_active", "deactivated_at", "reactivated_at", "date_joined", "last_login",
        "newsletter_opt_in", "newsletter_changed_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Informations"), {"fields": ("first_name", "last_name", "phone", "language")}),
        (
            _("Statut du compte"),
            {
                "fields": ("is_active", "deactivated_at", "reactivated_at"),
                "description": _(
                    "Pour rouvrir un compte désactivé, utilisez l'action « Réactiver les "
                    "comptes » de la liste des clients."
                ),
            },
        ),
        (_("Offres"), {"fields": ("newsletter_opt_in", "newsletter_changed_at")}),
        (
            _("Droits"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [AddressInline]
    actions = ["reactivate_accounts", "deactivate_accounts"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.action(description=_("Réactiver les comptes"), permissions=["change"])
    def reactivate_accounts(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=False):
            services.user_reactivate(user=user)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d compte réactivé.", "%(n)d comptes réactivés.", count) % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Désactiver les comptes"), permissions=["change"])
    def deactivate_accounts(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=True).exclude(pk=request.user.pk):
            services.user_deactivate(user=user)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d compte désactivé.", "%(n)d comptes désactivés.", count) % {"n": count},
            messages.SUCCESS,
        )


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ("subject", "created_at", "send_requested_at", "sent_at", "recipient_count")
    search_fields = ("subject",)
    readonly_fields = (
        "created_by",
        "created_at",
        "send_requested_at",
        "sent_at",
        "recipient_count",
    )
    fields = ("subject", "body", *readonly_fields)
    actions = ["send_newsletters"]

    def get_readonly_fields(self, request, obj=None):
        # Once sending was asked for, the text is what subscribers received: frozen.
        if obj is not None and obj.send_requested_at:
            return ("subject", "body", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Envoyer aux abonnés"), permissions=["change"])
    def send_newsletters(self, request, queryset):
        for newsletter in queryset:
            if services.newsletter_send_request(newsletter=newsletter):
                self.message_user(
                    request,
                    _("« %(subject)s » : envoi lancé aux abonnés.")
                    % {"subject": newsletter.subject},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("« %(subject)s » a déjà été envoyée : elle ne sera pas renvoyée.")
                    % {"subject": newsletter.subject},
                    messages.WARNING,
                )
