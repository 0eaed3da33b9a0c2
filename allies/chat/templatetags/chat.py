"""Where the chat's socket is: the same for every visitor (cached pages may hold it)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def chat_socket_url() -> str:
    """CHAT_WEBSOCKET_URL when set (sockets on another host), else empty: the script then
    builds ws(s)://<the page's host>:<CHAT_PORT>, or uses the page's own origin without a
    CHAT_PORT (production: a proxy sends /ws/ to the socket servers)."""
    return str(settings.CHAT_WEBSOCKET_URL)


@register.simple_tag
def chat_port() -> str:
    return str(settings.CHAT_PORT or "")


@register.simple_tag
def chat_enabled() -> bool:
    """CHAT_ENABLED: whether pages carry the bubble and open the chat's socket at all."""
    return bool(settings.CHAT_ENABLED)
