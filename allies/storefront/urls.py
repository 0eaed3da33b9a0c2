from django.urls import path

from allies.storefront import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("vendeurs/<slug:slug>/", views.vendor, name="vendor"),
]
