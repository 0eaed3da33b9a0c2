from django.urls import include, path

from allies.vendor_portal import cancellations, claims, delivery, messages, returns, reviews, views

app_name = "vendor_portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("choisir/", views.vendor_switch, name="switch"),
    path("commandes/", views.orders, name="orders"),
    path("commandes/<int:pk>/", views.order_detail, name="order"),
    path("commandes/<int:pk>/decision/", views.order_decide, name="order_decide"),
    path("commandes/<int:pk>/expedition/", views.order_ship, name="order_ship"),
    path("commandes/<int:pk>/livree/", views.order_delivered, name="order_delivered"),
    path("commandes/<int:pk>/facture/", views.order_invoice, name="order_invoice"),
    path("messages/", messages.inbox, name="support_inbox"),
    path("messages/<int:pk>/", messages.thread_detail, name="support_thread"),
    path("messages/<int:pk>/repondre/", messages.thread_reply, name="support_reply"),
    path("messages/<int:pk>/resolue/", messages.thread_resolve_view, name="support_resolve"),
    path(
        "messages/pieces-jointes/<int:pk>/",
        messages.attachment_download,
        name="support_attachment",
    ),
    path("retours/", returns.return_list, name="returns"),
    path("retours/<int:return_id>/", returns.return_detail, name="return"),  # in the emails
    path("retours/<int:return_id>/accepter/", returns.return_accept_view, name="return_accept"),
    path("retours/<int:return_id>/refuser/", returns.return_refuse_view, name="return_refuse"),
    path("retours/<int:return_id>/recu/", returns.return_received_view, name="return_received"),
    path("retours/<int:return_id>/rembourser/", returns.return_refund_view, name="return_refund"),
    path("retours/<int:return_id>/non-conforme/", returns.return_reject_view, name="return_reject"),
    path("reclamations/", claims.claim_list, name="claims"),
    path("reclamations/<int:claim_id>/", claims.claim_detail, name="claim"),  # in the emails
    path("reclamations/<int:claim_id>/retour/", claims.claim_return_view, name="claim_return"),
    path("reclamations/<int:claim_id>/refuser/", claims.claim_refuse_view, name="claim_refuse"),
    path("reclamations/<int:claim_id>/recu/", claims.claim_received_view, name="claim_received"),
    path("reclamations/<int:claim_id>/regler/", claims.claim_settle_view, name="claim_settle"),
    path("reclamations/<int:claim_id>/sans-defaut/", claims.claim_reject_view, name="claim_reject"),
    path(
        "reclamations/<int:claim_id>/photos/<int:photo_id>/",
        claims.claim_photo,
        name="claim_photo",
    ),
    path("avis/", reviews.review_list, name="reviews"),
    path("avis/<int:pk>/repondre/", reviews.review_answer_view, name="review_answer"),
    path("avis/<int:pk>/signaler/", reviews.review_report_view, name="review_report"),
    path("factures/", views.invoices, name="invoices"),
    path("factures/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("offres/", views.offers, name="offers"),
    path("offres/<int:pk>/", views.offer_edit, name="offer"),
    path("offres/<int:pk>/activation/", views.offer_toggle, name="offer_toggle"),
    path("offres/import/", views.import_list, name="imports"),
    path("offres/import/modele.csv", views.import_template, name="import_template"),
    path("offres/import/<int:pk>/", views.import_detail, name="import"),
    path("livraison/", views.rates, name="rates"),
    path("livraison/<str:mode>/<str:zone>/", views.rate_edit, name="rate"),
    path(
        "livraison/<str:mode>/<str:zone>/desactiver/", views.rate_deactivate, name="rate_deactivate"
    ),
    path("releve/", include("allies.vendor_portal.urls_statement")),
    path("paiements/", include("allies.vendor_portal.urls_payment_account")),
    path("factures-commission/", include("allies.vendor_portal.urls_commission_invoices")),
    path("profil/", views.profile, name="profile"),
    path("equipe/", views.team, name="team"),
    path("equipe/<int:pk>/retirer/", views.team_remove, name="team_remove"),
    path("cles-api/", views.api_keys, name="api_keys"),
    path("cles-api/<int:pk>/revoquer/", views.api_key_revoke_view, name="api_key_revoke"),
    # A customer's cancellation request of accepted articles (ORD-5), on the order's page.
    path(
        "commandes/annulations/<int:request_id>/accepter/",
        cancellations.cancellation_confirm_view,
        name="cancellation_confirm",
    ),
    path(
        "commandes/annulations/<int:request_id>/refuser/",
        cancellations.cancellation_refuse_view,
        name="cancellation_refuse",
    ),
    # A customer's request to change the delivery address past 24 h (ORD-6), on the order's page.
    path(
        "commandes/adresses/<int:address_request_id>/appliquer/",
        delivery.address_request_apply_view,
        name="address_request_apply",
    ),
    path(
        "commandes/adresses/<int:address_request_id>/refuser/",
        delivery.address_request_refuse_view,
        name="address_request_refuse",
    ),
]
