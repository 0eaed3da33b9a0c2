"""WebSocket routes of the live chat (CS-3): the storefront's socket and the console's."""

from django.urls import path

from allies.chat.consumers import AgentConsumer, CustomerConsumer

websocket_urlpatterns = [
    path("ws/chat/", CustomerConsumer.as_asgi()),
    path("ws/chat/agent/", AgentConsumer.as_asgi()),
]
