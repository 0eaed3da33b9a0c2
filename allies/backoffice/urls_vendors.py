"""The console's vendor pages: applications ("Devenir vendeur"), suspension (included by
backoffice/urls.py at /service-client/vendeurs/)."""

from django.urls import path

from allies.backoffice import vendors

urlpatterns = [
    path("", vendors.vendor_list, name="vendors"),
    path("<int:pk>/suspendre/", vendors.vendor_suspend_view, name="vendor_suspend"),
    path("<int:pk>/retablir/", vendors.vendor_reinstate_view, name="vendor_reinstate"),
    path("candidatures/", vendors.application_list, name="vendor_applications"),
    path("candidatures/<int:pk>/", vendors.application_detail, name="vendor_application"),
    path(
        "candidatures/<int:pk>/decision/",
        vendors.application_decide,
        name="vendor_application_decide",
    ),
]
