from django.urls import include, path

from allies.backoffice import delivery, views

app_name = "backoffice"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("statistiques/", views.stats, name="stats"),
    path("demandes/<int:pk>/", views.thread_detail, name="thread"),
    path("demandes/<int:pk>/message/", views.thread_message, name="thread_message"),
    path("demandes/<int:pk>/attribution/", views.thread_assign_view, name="thread_assign"),
    path("demandes/<int:pk>/etat/", views.thread_stage, name="thread_stage"),
    path("demandes/<int:pk>/remboursement/", views.thread_refund, name="thread_refund"),
    path("demandes/<int:pk>/annulation/", views.thread_cancel, name="thread_cancel"),
    path(
        "demandes/<int:pk>/compte/", views.thread_account_reopen_view, name="thread_account_reopen"
    ),
    path("pieces-jointes/<int:pk>/", views.attachment, name="attachment"),
    # A shipped parcel the customer wants elsewhere: the carrier redirects it (ORD-6, CS-2).
    path("demandes/<int:pk>/reexpedition/", delivery.thread_redirect, name="thread_redirect"),
    path(
        "demandes/<int:pk>/reexpedition/refus/",
        delivery.thread_redirect_refuse,
        name="thread_redirect_refuse",
    ),
    # Live chat, help centre, reviews (issue 12): each in its own module.
    path("chat/", include("allies.backoffice.urls_chat")),
    path("aide/", include("allies.backoffice.urls_helpcenter")),
    path("avis/", include("allies.backoffice.urls_reviews")),
    path("vendeurs/", include("allies.backoffice.urls_vendors")),
    path("commissions/", include("allies.backoffice.urls_commissions")),
    path("virements/", include("allies.backoffice.urls_payouts")),
    path("tableau-de-bord/", include("allies.backoffice.urls_dashboard")),
]
