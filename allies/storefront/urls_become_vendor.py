""" "Devenir vendeur": a company applies to sell (included by storefront/urls.py).

Public pages: the form, its confirmation, and the edit page reached from the emailed link
(the signed token rides in the query string, `?jeton=`).
"""

from django.urls import path

from allies.storefront import become_vendor

urlpatterns = [
    path("", become_vendor.become_vendor, name="become_vendor"),
    path("merci/", become_vendor.become_vendor_done, name="become_vendor_done"),
    path("modifier/", become_vendor.become_vendor_edit, name="become_vendor_edit"),
]
