"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Playwright's sync API runs an event loop in the test thread, which Django would take for
async code; the test thread only ever runs synchronous ORM calls, so that check is lifted here.
"""

import os
import shutil
import socket
import threading
import time

import pytest
from channels.layers import channel_layers

from tests.chat.conftest import close_socket_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    # Browser tests share one Chromium per worker: keep them on one xdist worker group.
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def _chat_only_where_sockets_are_served(request, settings):
    """pytest-django's live server speaks WSGI only: its pages would knock at /ws/ for
    nothing. The chat's own tests serve pages and sockets with `asgi_server`."""
    if "asgi_server" not in request.fixturenames:
        settings.CHAT_ENABLED = False


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, transactional_db):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="fr-FR", is_mobile=True
    )
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def axe_serious_violations(page) -> list[dict]:
    """Run axe-core (shipped inside axe-playwright-python) on the page; serious+critical only."""
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the new page is committed, not loaded: axe run on
    # a document still being swapped finds no documentElement.
    page.wait_for_load_state("load")
    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The whole site, pages and the chat's sockets, from uvicorn on the ASGI application in
    a thread, on the test database (pytest-django's live server speaks WSGI only)."""
    import uvicorn

    from allies.asgi import application

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    port = _free_port()
    # Pages and sockets on one origin, as behind production's proxy.
    settings.CHAT_PORT, settings.CHAT_WEBSOCKET_URL = None, ""
    server = uvicorn.Server(
        uvicorn.Config(
            app=application,
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            lifespan="off",
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)
    channel_layers.backends.clear()
    close_socket_connections()
