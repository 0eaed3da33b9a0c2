"""ASGI entry point: the live chat's WebSockets (CS-3) and, for tests and small setups, HTTP.

`make run` serves HTTP with gunicorn (allies/wsgi.py) and only /ws/ with uvicorn on CHAT_PORT;
production puts a reverse proxy in front that sends /ws/ here (README, "Production").
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "allies.settings")
# Django first: the chat's routing imports models.
django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from allies.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        # The session cookie says who is connecting; the Origin header must be one of ours.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
