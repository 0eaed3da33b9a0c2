"""The console's chat pages (CS-3): access, the waiting list, one conversation beside the
customer's account and orders, and the actions without JavaScript (take, close,
"Transformer en demande")."""

# covers: CS-3

from __future__ import annotations

import pytest
from django.urls import reverse

from allies.chat import services
from allies.chat.models import AgentPresence, Author, Conversation, Message
from allies.chat.states import ConversationStatus
from allies.orders.models import Order
from allies.support.models import Thread
from allies.support.states import ThreadStage
from tests.chat.conftest import agent_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def waiting_chat(customer=None, *, n: int = 0, body: str = "Bonjour") -> Conversation:
    if customer is None:
        conversation = Conversation.objects.create(
            visitor_name=f"Visiteur {n}", visitor_email=f"v{n}@example.test", session_key=f"s{n}"
        )
    else:
        conversation = Conversation.objects.create(customer=customer)
    Message.objects.create(conversation=conversation, author=Author.CUSTOMER, body=body)
    return conversation


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_only_agents_open_the_chat_console(client, customer):
    url = reverse("backoffice:chat")
    assert client.get(url).status_code == 302  # to the login page
    for user in (customer, UserFactory(is_staff=True, email="compta@allies.test")):
        client.force_login(user)
        assert client.get(url).status_code == 403
        conversation = waiting_chat(customer)
        for name in ("chat_conversation",):
            assert (
                client.get(reverse(f"backoffice:{name}", args=[conversation.pk])).status_code == 403
            )
        for name in ("chat_take", "chat_close", "chat_to_thread"):
            response = client.post(reverse(f"backoffice:{name}", args=[conversation.pk]))
            assert response.status_code == 403
        assert (
            client.post(reverse("backoffice:chat_availability"), {"available": "1"}).status_code
            == 403
        )
    assert not AgentPresence.objects.exists()
    assert Conversation.objects.filter(status=ConversationStatus.WAITING).count() == 2


def test_the_console_lists_waiting_chats_in_bounded_queries(
    agent_client, customer, django_assert_max_num_queries
):
    for n in range(3):
        waiting_chat(n=n)
    url = reverse("backoffice:chat")
    with django_assert_max_num_queries(12):
        small = agent_client.get(url)
    for n in range(3, 40):
        waiting_chat(n=n)
    waiting_chat(customer)
    with django_assert_max_num_queries(12):
        response = agent_client.get(url)
    assert small.status_code == response.status_code == 200
    html = response.content.decode()
    assert "Visiteur 0" in html and "Luc Roux" in html and "attend depuis" in html
    assert "Passer disponible" in html and "Vous êtes absent" in html


def test_availability_without_javascript(agent_client, agent):
    response = agent_client.post(reverse("backoffice:chat_availability"), {"available": "1"})
    assert response.status_code == 302
    assert services.agents_available() is True
    assert "Vous êtes disponible" in agent_client.get(reverse("backoffice:chat")).content.decode()
    agent_client.post(reverse("backoffice:chat_availability"), {"available": "0"})
    assert services.agents_available() is False


def test_a_conversation_shows_the_customer_and_recent_orders_in_bounded_queries(
    agent_client, agent, customer, django_assert_max_num_queries
):
    # Order rows only (the console shows their reference, date, status and total).
    conversation = waiting_chat(customer, body="Où est AL-2026 ?")
    orders = [
        Order.objects.create(
            reference=f"AL-2026-00000{n}",
            customer=customer,
            lines_total=10,
            shipping_total=0,
            total=10,
            delivery_address={},
            billing_address={},
        )
        for n in range(1, 8)
    ]
    for n in range(30):
        Message.objects.create(conversation=conversation, author=Author.CUSTOMER, body=f"m{n}")
    url = reverse("backoffice:chat_conversation", args=[conversation.pk])
    with django_assert_max_num_queries(14):
        response = agent_client.get(url)
    html = response.content.decode()
    assert "Luc Roux" in html and "luc@example.test" in html and "Où est AL-2026 ?" in html
    assert orders[-1].reference in html and orders[0].reference not in html  # 5 most recent
    assert reverse("admin:orders_order_change", args=[orders[-1].pk]) in html
    assert "Prendre ce chat" in html and "Transformer en demande" in html
    assert (
        agent_client.get(reverse("backoffice:chat_conversation", args=[10**6])).status_code == 404
    )


def test_take_then_close_without_javascript(agent_client, agent, customer):
    conversation = waiting_chat(customer)
    other = agent_user(email="karim@allies.test", first_name="Karim")
    response = agent_client.post(reverse("backoffice:chat_take", args=[conversation.pk]))
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.status, conversation.agent) == (ConversationStatus.ACTIVE, agent)
    assert conversation.taken_at is not None
    # Another agent cannot take it again nor close it.
    agent_client.force_login(other)
    agent_client.post(reverse("backoffice:chat_take", args=[conversation.pk]), follow=True)
    page = agent_client.post(reverse("backoffice:chat_close", args=[conversation.pk]), follow=True)
    assert "Un autre conseiller s&#x27;occupe de cette conversation." in page.content.decode()
    conversation.refresh_from_db()
    assert conversation.agent == agent and conversation.status == ConversationStatus.ACTIVE
    agent_client.force_login(agent)
    agent_client.post(reverse("backoffice:chat_close", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED and conversation.closed_at
    assert list(conversation.messages.values_list("author", flat=True)) == [
        Author.CUSTOMER,
        Author.SYSTEM,
        Author.SYSTEM,
    ]


def test_turning_a_chat_into_a_request_of_the_console(agent_client, agent, customer):
    conversation = waiting_chat(customer, body="Mon colis est abîmé.")
    services.conversation_take(agent=agent, conversation=conversation)
    services.agent_message_post(agent=agent, conversation=conversation, body="Je m'en occupe.")
    response = agent_client.post(reverse("backoffice:chat_to_thread", args=[conversation.pk]))
    thread = Thread.objects.get()
    assert response["Location"] == reverse("backoffice:thread", args=[thread.pk])
    assert thread.customer == customer and thread.assigned_agent == agent
    assert thread.stage == ThreadStage.ESCALATED  # in the operator's queue
    first = thread.messages.order_by("id").first()
    assert "Mon colis est abîmé." in first.body and "Je m'en occupe." in first.body
    conversation.refresh_from_db()
    assert conversation.thread == thread and conversation.status == ConversationStatus.CLOSED
    # Twice: refused, nothing more.
    agent_client.post(reverse("backoffice:chat_to_thread", args=[conversation.pk]))
    assert Thread.objects.count() == 1
    page = agent_client.get(reverse("backoffice:chat_conversation", args=[conversation.pk]))
    assert f"devenu la demande n° {thread.pk}" in page.content.decode()


def test_a_visitors_chat_becomes_a_request_by_email_and_long_transcripts_are_split(agent):
    conversation = waiting_chat(n=1, body="Bonjour")
    services.conversation_take(agent=agent, conversation=conversation)
    for _n in range(8):
        services.agent_message_post(agent=agent, conversation=conversation, body="x" * 1900)
    thread = services.conversation_to_thread(agent=agent, conversation=conversation)
    assert (thread.contact_name, thread.contact_email) == ("Visiteur 1", "v1@example.test")
    bodies = list(thread.messages.order_by("id").values_list("body", flat=True))
    # Cut between the chat's messages, each part within the requests' limit.
    assert len(bodies) >= 4 and sum(body.count("x" * 1900) for body in bodies) == 8
    assert all(len(body) <= 5000 for body in bodies)
