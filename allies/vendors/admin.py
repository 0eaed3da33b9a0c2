from django.contrib import admin

from allies.vendors.models import Vendor, VendorMembership


class MembershipInline(admin.TabularInline):
    model = VendorMembership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_name", "siret", "city", "commission_rate", "is_active")
    list_filter = ("is_active", "country")
    search_fields = ("name", "legal_name", "siret")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
