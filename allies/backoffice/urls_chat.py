"""The console's pages for chat (included by backoffice/urls.py)."""

from django.urls import path

from allies.backoffice import chat

urlpatterns = [
    path("", chat.console, name="chat"),
    path("disponibilite/", chat.availability, name="chat_availability"),
    path("<int:pk>/", chat.conversation, name="chat_conversation"),
    path("<int:pk>/prendre/", chat.take, name="chat_take"),
    path("<int:pk>/terminer/", chat.close, name="chat_close"),
    path("<int:pk>/demande/", chat.to_thread, name="chat_to_thread"),
]
