from django.contrib import admin

from allies.catalog.models import Category, Offer, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "slug", "position")
    search_fields = ("name", "name_en")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "brand", "category", "price_from", "offer_count", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("title", "brand")
    list_select_related = ("category",)
    readonly_fields = ("price_from", "availability", "offer_count", "search_text")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("variant", "vendor", "price", "stock", "restock_weeks", "is_active")
    list_filter = ("is_active", "vendor")
    raw_id_fields = ("variant",)
    list_select_related = ("variant__product", "vendor")
