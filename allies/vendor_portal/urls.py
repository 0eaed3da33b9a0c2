from django.urls import path

from allies.vendor_portal import views

app_name = "vendor_portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
