from django.urls import path

from allies.chat import views

app_name = "chat"
urlpatterns = [
    path("chat/session/", views.session_ensure, name="session"),
]
