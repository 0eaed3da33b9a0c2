from django.urls import path

from allies.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("connexion/", views.login_view, name="login"),
]
