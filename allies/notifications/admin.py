"""Back office: the outbox, so staff see emails that could not be sent and send them again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allies.notifications.models import OutgoingEmail
from allies.notifications.services import outgoing_emails_replay


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    # The bodies are left out on purpose: they may hold a customer's password-reset link.
    fields = readonly_fields = (
        "to",
        "subject",
        "template",
        "status",
        "attempts",
        "attempted_at",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Renvoyer"), permissions=["view"])
    def replay(self, request, queryset):
        count = outgoing_emails_replay(emails=queryset)
        if not count:
            self.message_user(
                request,
                _("Seuls les emails en échec ou abandonnés peuvent être renvoyés."),
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            ngettext(
                "%(count)s email remis en file d'envoi.",
                "%(count)s emails remis en file d'envoi.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
