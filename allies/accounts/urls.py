"""URLs of the customer account, under /compte/ (French slugs, also served under /en/)."""

from django.urls import path

from allies.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("inscription/", views.sign_up, name="sign_up"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", views.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/modifie/", views.password_reset_complete, name="password_reset_complete"),
    # "Mes achats" (compte/achats/) is the orders app's page: `orders:purchases`.
    path("parametres/", views.account_settings, name="settings"),
    path("abonnements/", views.newsletter_subscription, name="newsletter"),
    path(
        "newsletter/desinscription/<str:token>/",
        views.newsletter_unsubscribe,
        name="newsletter_unsubscribe",
    ),
    path("adresses/", views.address_list, name="addresses"),
    path("adresses/ajouter/<slug:kind>/", views.address_add, name="address_add"),
    path("adresses/<int:pk>/modifier/", views.address_edit, name="address_edit"),
    path("adresses/<int:pk>/supprimer/", views.address_delete, name="address_delete"),
    path("adresses/<int:pk>/par-defaut/", views.address_set_default, name="address_default"),
    path("desactiver/", views.deactivate, name="deactivate"),
    path("desactive/", views.deactivated, name="deactivated"),
]
