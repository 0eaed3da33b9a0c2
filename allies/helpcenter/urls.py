"""The help centre's pages, under /aide/ (and /en/aide/). /aide/contact/ is the support
contact form's (allies.support.urls, matched first): no topic may be called "contact"."""

from django.urls import path

from allies.helpcenter import views

app_name = "helpcenter"
urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("<slug:topic_slug>/", views.topic, name="topic"),
    path("<slug:topic_slug>/<slug:slug>/", views.question, name="question"),
]
