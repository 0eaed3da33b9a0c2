"""The customer's privacy rights, under the account (login; their own data, nothing in the path)."""

from django.urls import path

from allies.privacy import views

app_name = "privacy"
urlpatterns = [
    path("compte/donnees/", views.home, name="home"),
    path("compte/donnees/telecharger/", views.export, name="export"),
    path("compte/donnees/effacer/", views.erase, name="erase"),
    path("compte/donnees/effacees/", views.erased, name="erased"),
]
