from django.urls import path

from allies.cart import views

app_name = "cart"
urlpatterns = [
    path("", views.cart_page, name="detail"),
    path("ajouter/", views.add, name="add"),
    path("ligne/<int:line_id>/", views.line_update, name="line_update"),
    path("ligne/<int:line_id>/supprimer/", views.line_remove, name="line_remove"),
    path("prix/accepter/", views.prices_accept, name="prices_accept"),
    path("code/", views.discount, name="discount"),
    path("simulation/", views.simulate, name="simulate"),
]
