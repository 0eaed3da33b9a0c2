"""Staff read threads in the admin; every change goes through the services (the console's
pages), so the admin only reads. Attachment files are not linked here: they are private
and served by the console's checked views."""

from django.contrib import admin

from allies.support.models import Attachment, Message, Thread, ThreadEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "file"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "author_kind", "author", "visibility", "channel", "body", "on_time")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ThreadEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor_kind", "actor", "api_key", "data")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "kind", "motif", "stage", "vendor", "customer", "contact_email",
        "vendor_due_at", "operator_due_at", "assigned_agent", "updated_at",
    )  # fmt: skip
    list_filter = ("stage", "kind", "motif")
    search_fields = ("=id", "customer__email", "contact_email", "vendor__name", "subject")
    list_select_related = ("vendor", "customer", "assigned_agent")
    exclude = ("reply_token",)
    inlines = [MessageInline, EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "reply_token"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "content_type", "size", "thread", "vendor", "created_at")
    list_select_related = ("vendor",)
    exclude = ("file",)
    search_fields = ("original_name", "sha256")
