"""URL map. Pages live under i18n patterns: French at /, English at /en/."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from allies.storefront import views as storefront_views
from allies.vendor_api.api import api

urlpatterns = [
    path("robots.txt", storefront_views.robots_txt, name="robots"),
    path("sitemap.xml", storefront_views.sitemap_xml, name="sitemap"),
    path(
        "images/produits/<int:pk>.svg",
        storefront_views.product_image,
        name="product_image",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("paiement/", include("allies.payments.urls")),
    path("transporteurs/", include("allies.orders.carrier_urls")),
]

urlpatterns += i18n_patterns(
    # Before the orders' and the account's: it adds pages under compte/achats/ and compte/.
    path("", include("allies.support.urls")),
    path("", include("allies.aftersales.urls")),
    path("", include("allies.chat.urls")),
    path("aide/", include("allies.helpcenter.urls")),
    path("", include("allies.reviews.urls")),
    path("", include("allies.privacy.urls")),
    path("compte/achats/", include("allies.orders.urls")),
    path("compte/factures/", include("allies.invoices.urls")),
    path("compte/", include("allies.accounts.urls")),
    path("panier/", include("allies.cart.urls")),
    path("commande/", include("allies.checkout.urls")),
    path("vendeur/", include("allies.vendor_portal.urls")),
    path("service-client/", include("allies.backoffice.urls")),
    path("", include("allies.storefront.urls")),
    prefix_default_language=False,
)

handler400 = "allies.core.views.bad_request"
handler404 = "allies.storefront.views.page_not_found"
handler500 = "allies.storefront.views.server_error"
