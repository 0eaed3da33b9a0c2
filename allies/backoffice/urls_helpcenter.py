"""The console's pages for helpcenter (included by backoffice/urls.py at /service-client/aide/)."""

from django.urls import path

from allies.backoffice import helpcenter

urlpatterns: list = [
    path("", helpcenter.question_list, name="helpcenter_list"),
    path("nouvelle/", helpcenter.question_new, name="helpcenter_new"),
    path("<int:pk>/", helpcenter.question_edit, name="helpcenter_edit"),
]
