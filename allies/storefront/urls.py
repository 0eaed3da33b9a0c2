from django.urls import include, path

from allies.storefront import site_pages, views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("vendeurs/<slug:slug>/", views.vendor, name="vendor"),
    # The site's own pages (SITE-1, SITE-4): footer links and the header promises' conditions.
    path("a-propos/", site_pages.about, name="about"),
    path("conditions-generales-de-vente/", site_pages.terms, name="terms"),
    path("mentions-legales/", site_pages.legal_notice, name="legal_notice"),
    path("confidentialite/", site_pages.privacy_policy, name="privacy_policy"),
    path("livraison-et-retours/", site_pages.delivery_returns, name="delivery_returns"),
    path("devenir-vendeur/", include("allies.storefront.urls_become_vendor")),
]
