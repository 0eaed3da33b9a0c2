"""The live chat in two browsers (CS-3): a customer on the shop and an agent in the console.

pytest-django's live server speaks WSGI only: this test serves the whole site (pages and
sockets) from uvicorn on the ASGI application (`asgi_server` of tests/browser/conftest.py).
"""

# covers: CS-3

from __future__ import annotations

import os
import re
import time

from django.contrib.auth.models import Permission
from django.test import Client
from playwright.sync_api import expect

from tests.browser.conftest import axe_serious_violations
from tests.factories import UserFactory

SHOTS = os.environ.get("CHAT_SCREENSHOTS", "")  # a directory: the test saves its screens


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


# The network fails: the page's open sockets close and new ones are refused (see below).
CUT = "window.__cut = true; window.__sockets.forEach((s) => s.close())"
MEND = "window.__cut = false"


def wait_until(page, expression: str, *, seconds: float = 10) -> None:
    """Wait until `expression` is true in the page, asked from here: `wait_for_function`
    polls it with the page's own `eval`, which the site's Content-Security-Policy forbids
    (it failed whenever the first check was false)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        time.sleep(0.05)


def _context_of(browser, base_url, user=None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": base_url}])
    return context


def test_live_chat_between_a_customer_and_an_agent(browser, asgi_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    agent = UserFactory(is_staff=True, email="ines@allies.test", first_name="Inès")
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="support", codename="handle_thread")
    )
    luc = UserFactory(email="luc@example.test", first_name="Luc", last_name="Roux")
    marc = UserFactory(email="marc@example.test", first_name="Marc", last_name="Noir")
    contexts = [_context_of(browser, asgi_server, user) for user in (agent, luc, marc, None)]
    # Keep a hand on the page's sockets, to cut them as a network failure would: `CUT` closes
    # the open ones, and every new one fails at once (a socket that closes by itself, with no
    # connection: a refused port would make Chromium throttle the page's later connections)
    # until `MEND`.
    # Not the browser's offline mode: once offline, Chromium may hold a closing socket's
    # close event for its 60 s closing-handshake timeout (the server's answer never reaches
    # it), which failed CI now and then.
    contexts[1].add_init_script(
        "window.__sockets = []; window.__cut = false; const Native = window.WebSocket;"
        "window.WebSocket = function (url) {"
        " if (window.__cut) { const f = new EventTarget(); f.readyState = 3;"
        " f.send = () => {}; f.close = () => {}; window.__sockets.push(f);"
        " setTimeout(() => { const e = new CloseEvent('close', { code: 1006 });"
        "  if (f.onclose) f.onclose(e); }, 50); return f; }"
        " const s = new Native(url); window.__sockets.push(s); return s; };"
        "window.WebSocket.OPEN = Native.OPEN;"
    )
    # The console's socket can hold back what the server says (its "hello" first) for 2 s,
    # to click while the page has not heard yet whether the agent is available.
    contexts[0].add_init_script(
        "const Native = window.WebSocket;"
        "window.__sockets = []; window.__cut = false;"
        "window.WebSocket = function (url) {"
        " if (window.__cut) { const f = new EventTarget(); f.readyState = 3;"
        " f.send = () => {}; f.close = () => {}; window.__sockets.push(f);"
        " setTimeout(() => { const e = new CloseEvent('close', { code: 1006 });"
        "  if (f.onclose) f.onclose(e); }, 50); return f; }"
        " const s = new Native(url); window.__sockets.push(s);"
        " if (localStorage.getItem('holdAnswers') !== '1') return s;"
        " s.addEventListener('open', () => { document.body.dataset.agentSocket = 'open'; });"
        " let queue = new Promise((resolve) => setTimeout(resolve, 2000));"
        " const own = Object.getOwnPropertyDescriptor(Native.prototype, 'onmessage');"
        " Object.defineProperty(s, 'onmessage', { get() { return own.get.call(s); },"
        "  set(fn) { own.set.call(s, (e) => { queue = queue.then(() => fn(e)); }); } });"
        " return s; };"
        "window.WebSocket.OPEN = Native.OPEN;"
    )
    try:
        console, shop, other, visitor = (context.new_page() for context in contexts)
        shop.goto(asgi_server + "/")
        bubble = shop.locator(".chat-bubble")
        expect(bubble).to_be_hidden()  # nobody is available yet

        console.goto(asgi_server + "/service-client/chat/")
        expect(console.locator("[data-chat-agent-label]")).to_have_text("Chat : absent")
        console.get_by_role("button", name="Passer disponible").click()
        expect(console.locator("[data-chat-me-label]")).to_have_text("Vous êtes disponible")
        expect(bubble).to_be_visible()  # live, without reloading the shop

        bubble.click()
        box = shop.get_by_label("Votre message")
        box.fill("Bonjour, où en est ma commande ?")
        box.press("Enter")
        expect(shop.locator(".chat-msg-customer")).to_have_text(
            ["Vous Bonjour, où en est ma commande ?"], use_inner_text=True
        )

        waiting = console.locator(".chat-queue-item", has_text="Luc Roux")
        expect(waiting).to_contain_text("attend depuis")
        waiting.get_by_role("button", name="Prendre").click()
        expect(console.locator("h1")).to_contain_text("Luc Roux")
        expect(console.locator(".chat-line-customer")).to_contain_text(
            "Bonjour, où en est ma commande ?"
        )
        # The conversation's text is there while the page is still parsed; its script (which
        # sends on Enter) runs just before DOMContentLoaded — Enter before it is a new line.
        console.wait_for_load_state("domcontentloaded")
        answer = console.get_by_label("Message", exact=True)
        # The agent answers while the console has no socket (as just after the page loads, or
        # on a network failure): the answer waits in the box and leaves once it is back.
        # Its socket is open first (closing it before the page's script has made it would
        # leave that script connecting once offline, with no failure to show).
        wait_until(console, "window.__sockets.some((s) => s.readyState === 1)")
        console.evaluate(CUT)
        # The close event waits for the server's answer to the close frame (a loaded
        # machine can delay it past expect's default 5 s).
        expect(console.locator("[data-chat-agent-label]")).to_have_text(
            "Chat : connexion perdue, reconnexion…", timeout=20_000
        )
        answer.fill("Bonjour Luc, je regarde.")
        answer.press("Enter")
        expect(answer).to_have_value("Bonjour Luc, je regarde.")
        expect(console).to_have_url(re.compile(r"/service-client/chat/\d+/$"))
        console.evaluate(MEND)
        expect(shop.locator(".chat-msg-agent")).to_contain_text("Bonjour Luc, je regarde.")
        expect(answer).to_have_value("")
        expect(shop.locator(".chat-msg-system")).to_contain_text("Inès vous répond.")

        # The customer's connection drops; the agent keeps writing; nothing is lost.
        shop.evaluate(CUT)
        expect(shop.locator("[data-chat-note]")).to_have_text(
            "Connexion perdue, reconnexion en cours…", timeout=20_000
        )
        for text in ("Votre colis part demain.", "Le numéro de suivi suivra par email."):
            answer.fill(text)
            answer.press("Enter")
            expect(console.locator(".chat-line-agent", has_text=text)).to_be_visible()
        shop.evaluate(MEND)
        expect(shop.locator(".chat-msg-agent")).to_have_text(
            [
                "Inès Bonjour Luc, je regarde.",
                "Inès Votre colis part demain.",
                "Inès Le numéro de suivi suivra par email.",
            ],
            use_inner_text=True,
            timeout=15_000,
        )
        box.fill("Merci !")
        box.press("Enter")
        expect(console.locator(".chat-line-customer", has_text="Merci !")).to_be_visible()
        shot(shop, "shop-1280")
        shot(console, "console-conversation-1280")
        # The open chat and the agent's conversation: no serious accessibility violation.
        assert axe_serious_violations(shop) == []
        assert axe_serious_violations(console) == []
        shop.set_viewport_size({"width": 375, "height": 812})
        shot(shop, "shop-375")

        # A visitor without an account gives a name and an email first.
        visitor.goto(asgi_server + "/")
        visitor.locator(".chat-bubble").click()
        visitor.get_by_role("button", name="Commencer la discussion").click()
        expect(visitor.locator("#chat-name-error")).to_have_text("Indiquez votre nom.")
        shot(visitor, "visitor-form-errors-1280")
        visitor.get_by_label("Votre nom").fill("Ana Lima")
        visitor.get_by_label("Votre adresse email").fill("ana@example.test")
        visitor.get_by_role("button", name="Commencer la discussion").click()
        visitor_box = visitor.get_by_label("Votre message")
        visitor_box.fill("Livrez-vous en Corse ?")
        visitor_box.press("Enter")
        expect(visitor.locator(".chat-msg-customer")).to_contain_text("Livrez-vous en Corse ?")
        console.goto(asgi_server + "/service-client/chat/")
        expect(console.locator(".chat-queue-item", has_text="Ana Lima")).to_be_visible()
        shot(console, "console-1280")

        # Another customer sees the bubble, but an empty chat of their own.
        other.goto(asgi_server + "/")
        other.locator(".chat-bubble").click()
        expect(other.locator("[data-chat-body]")).to_be_visible()
        other.wait_for_timeout(300)
        expect(other.locator(".chat-msg")).to_have_count(0)
        assert "Merci" not in other.content() and "colis" not in other.locator(".chat").inner_text()

        # The agent goes away: the bubble disappears from the shop, live.
        shop.get_by_role("button", name="Réduire le chat").click()
        # Clicked once the socket is open but before its first answer: "Passer absent" must
        # not toggle what the page had not heard yet (it made the agent available: CI, stop 23).
        console.evaluate("localStorage.setItem('holdAnswers', '1')")
        console.goto(asgi_server + "/service-client/chat/")
        expect(console.locator("body[data-agent-socket=open]")).to_have_count(1)
        console.get_by_role("button", name="Passer absent").click()
        expect(bubble).to_be_hidden()
        expect(other.locator(".chat-bubble")).to_be_hidden()
        expect(console.locator("[data-chat-me-label]")).to_have_text("Vous êtes absent")
    finally:
        for context in contexts:
            context.close()
