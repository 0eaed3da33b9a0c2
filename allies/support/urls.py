"""The customer's pages of "Assistance en ligne" (French paths, also under /en/): the
requests under the account (/compte/demandes/, /compte/achats/<ref>/assistance/), the
pre-sale question on an offer and the contact form of the help pages."""

from django.urls import path

from allies.support import views

app_name = "support"
urlpatterns = [
    # "Mes demandes" (ACC-8) and one request; `support:thread` is what the emails link to.
    path("compte/demandes/", views.threads, name="threads"),
    path("compte/demandes/<int:thread_id>/", views.thread, name="thread"),
    path("compte/demandes/<int:thread_id>/suivi/", views.follow_up, name="follow_up"),
    path(
        "compte/demandes/pieces-jointes/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    # "Contacter le vendeur" / "Assistance en ligne" on an order (ORD-7, CS-1).
    path(
        "compte/achats/<str:reference>/assistance/",
        views.order_assistance,
        name="order_assistance",
    ),
    # "Posez une question" on an offer of the product page (CAT-4).
    path("question/<int:offer_id>/", views.question, name="question"),
    # The contact form (CS-4), the help page's "cliquez ici".
    path("aide/contact/", views.contact, name="contact"),
    path("aide/contact/envoye/", views.contact_sent, name="contact_sent"),
]
