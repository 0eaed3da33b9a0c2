"""Another URL map for tests/core/test_links.py: the product pages under /autre/."""

from django.urls import include, path

from allies.storefront import views

urlpatterns = [
    path(
        "autre/",
        include(([path("p/<slug:slug>/", views.product, name="product")], "storefront")),
    ),
]
