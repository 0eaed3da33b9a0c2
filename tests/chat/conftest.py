"""Chat test setup: agents (perm support.handle_thread), customers, and sockets that go
through the real ASGI application (origin check, session cookie, auth middleware)."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.test import Client

from allies.storefront.sessions import SessionStore
from tests.factories import UserFactory

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
def _chat_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()  # a fresh in-memory layer: no group left from a test
    yield
    channel_layers.backends.clear()


def close_socket_connections() -> None:
    """The sockets' database calls run on pool threads that keep their connections
    (CONN_MAX_AGE): on PostgreSQL, end them so the test database can be dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _socket_connections_closed(request):
    yield
    if "transactional_db" in request.fixturenames:
        close_socket_connections()


def agent_user(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="support", codename="handle_thread")
    )
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def agent(transactional_db):
    return agent_user(email="ines@allies.test", first_name="Inès")


@pytest.fixture
def customer(transactional_db):
    return UserFactory(email="luc@example.test", first_name="Luc", last_name="Roux")


@pytest.fixture
def other_customer(transactional_db):
    return UserFactory(email="marc@example.test", first_name="Marc", last_name="Noir")


def session_cookie_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def visitor_session() -> str:
    store = SessionStore()
    store["chat"] = True
    store.create()
    return store.session_key


def communicator(path: str, cookie: str | None = None) -> WebsocketCommunicator:
    from allies.asgi import application

    headers = [ORIGIN]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(path: str, cookie: str | None = None) -> tuple[WebsocketCommunicator, dict]:
    """Open a socket and return it with its first frame (the "hello")."""
    socket = communicator(path, cookie)
    ok, _code = await socket.connect()
    assert ok
    return socket, await socket.receive_json_from(timeout=5)


async def next_of(socket: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    """The next frame of type `kind` (skipping others such as presence or queue updates)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


def run(coroutine_function):
    """Run an async scenario from a sync test, in a thread of its own: in a worker that also
    ran a browser test, Playwright keeps an event loop running in the test's thread, where
    `async_to_sync` refuses to start. The sockets' database calls then run on that thread
    (the tests are transactional: they see committed rows), whose connection is closed at
    the end."""
    from django.db import connections

    outcome: dict = {}

    def scenario() -> None:
        try:
            outcome["value"] = async_to_sync(coroutine_function)()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=scenario, name="chat-scenario")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
