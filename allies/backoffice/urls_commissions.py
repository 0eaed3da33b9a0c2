"""The console's commission rates with dates of effect (included by backoffice/urls.py at
/service-client/commissions/): see `allies.backoffice.commissions`."""

from django.urls import path

from allies.backoffice import commissions

urlpatterns = [
    path("", commissions.commission_vendors, name="commissions"),
    path("vendeurs/<int:vendor_id>/", commissions.commission_vendor, name="commission_vendor"),
    path(
        "taux/<int:rate_id>/supprimer/",
        commissions.commission_rate_delete_view,
        name="commission_rate_delete",
    ),
]
