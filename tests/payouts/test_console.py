"""PAY-1: the console's payouts pages — who may see and act, and bounded queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from allies.payments.gateways.sandbox import sandbox_faults
from allies.payouts.models import Payout, PayoutRun
from allies.payouts.states import PayoutStatus
from tests.factories import UserFactory, VendorMembershipFactory
from tests.ledger.conftest import buy, offer_of, refund, vendor_with_rates
from tests.payouts.conftest import AVAILABLE_AT, DELIVERED_AT, deliver, payable_account

pytestmark = pytest.mark.django_db


def _staff(*perms):
    user = UserFactory(is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def treasurer():
    return _staff("view_payout", "add_payoutrun", "change_payout")


def _sales(n, *, account=True, delivered_at=DELIVERED_AT):
    vendors = []
    for _ in range(n):
        vendor = vendor_with_rates(fee=Decimal("5.00"), commission_rate=Decimal("0.10"))
        if account:
            payable_account(vendor)
        with time_machine.travel(DELIVERED_AT - timedelta(days=3), tick=False):
            vo = buy([(offer_of(vendor, price="60.00"), 1)]).vendor_orders.get()
        deliver(vo, at=delivered_at)
        vendors.append((vendor, vo))
    return vendors


def test_the_button_pays_and_the_list_shows_each_payout(client, treasurer):
    # covers: PAY-1
    ((vendor, _vo),) = _sales(1)
    ((unverified, _vo2),) = _sales(1, account=False)
    client.force_login(treasurer)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        response = client.post(reverse("backoffice:payout_run"))
    assert response.status_code == 302
    run = PayoutRun.objects.get()
    assert (run.trigger, run.started_by, run.payouts_made) == ("staff", treasurer, 1)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        page = client.get(reverse("backoffice:payouts")).content.decode()
    assert vendor.name in page and "FR76 •••• •••• 0189" in page and "59,00" in page
    assert "Virement effectué" in page
    # The vendor without a validated account is listed as not paid, with why.
    assert unverified.name in page and "Compte de paiement non validé" in page
    payout = Payout.objects.get()
    detail = client.get(reverse("backoffice:payout", args=[payout.pk])).content.decode()
    assert payout.lines.get().vendor_order.order.reference in detail
    assert payout.transfer_reference in detail


def test_a_refused_money_out_is_shown_and_retried_from_its_page(client, treasurer):
    # covers: PAY-1
    _sales(1)
    sandbox_faults.fail_next("money_out", "error")
    client.force_login(treasurer)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        client.post(reverse("backoffice:payout_run"))
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.MONEY_OUT_FAILED
    page = client.get(reverse("backoffice:payout", args=[payout.pk])).content.decode()
    assert "Virement bancaire refusé" in page and "Relancer le virement bancaire" in page
    response = client.post(reverse("backoffice:payout_retry", args=[payout.pk]))
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID


def test_a_negative_balance_is_shown_as_blocking(client, treasurer):
    # covers: PAY-1
    ((vendor, vo),) = _sales(1)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        from allies.payouts.services import payout_run

        payout_run(trigger="schedule")
    with time_machine.travel(AVAILABLE_AT + timedelta(days=1), tick=False):
        refund(vo, lines_amount=Decimal("30.00"))
    with time_machine.travel(AVAILABLE_AT + timedelta(days=2), tick=False):
        client.force_login(treasurer)
        response = client.get(reverse("backoffice:payouts"))
        assert response.status_code == 200, response
        page = response.content.decode()
    assert vendor.name in page and "Solde négatif" in page and "−27,00" in page.replace("-", "−")


@pytest.mark.parametrize("name", ["backoffice:payouts", "backoffice:payout"])
def test_who_may_see_the_payouts(client, name):
    # covers: PAY-1, issue 8 §3
    _sales(1)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        from allies.payouts.services import payout_run

        payout_run(trigger="schedule")
    url = reverse(name, args=[Payout.objects.get().pk] if name == "backoffice:payout" else [])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    vendor_user = VendorMembershipFactory().user
    for user in (
        UserFactory(),  # a customer
        vendor_user,
        _staff("handle_thread"),  # a customer-service agent without the payouts permission
        _staff(),  # staff with nothing
        _staff("add_payoutrun"),  # may run, but not see: refused
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    client.force_login(_staff("view_payout"))
    assert client.get(url).status_code == 200


def test_only_staff_with_the_permission_launch_a_run(client):
    # covers: PAY-1
    _sales(1)
    url = reverse("backoffice:payout_run")
    assert client.post(url).status_code == 302 and not PayoutRun.objects.exists()
    viewer = _staff("view_payout")
    client.force_login(viewer)
    assert "Lancer les virements" not in client.get(reverse("backoffice:payouts")).content.decode()
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 403
    client.force_login(VendorMembershipFactory().user)
    assert client.post(url).status_code == 403
    assert not PayoutRun.objects.exists()
    client.force_login(_staff("view_payout", "add_payoutrun"))
    assert client.get(url).status_code == 405
    with time_machine.travel(AVAILABLE_AT, tick=False):
        assert client.post(url).status_code == 302
    assert PayoutRun.objects.count() == 1


def test_retry_needs_its_permission_and_a_refused_money_out(client):
    # covers: PAY-1
    _sales(1)
    with time_machine.travel(AVAILABLE_AT, tick=False):
        from allies.payouts.services import payout_run

        payout_run(trigger="schedule")
    payout = Payout.objects.get()
    url = reverse("backoffice:payout_retry", args=[payout.pk])
    client.force_login(_staff("view_payout"))
    assert client.post(url).status_code == 403
    client.force_login(_staff("view_payout", "change_payout"))
    response = client.post(url, follow=True)
    assert "Seul un virement bancaire refusé peut être relancé." in response.content.decode()


def test_the_pages_do_a_bounded_number_of_queries(client, treasurer, django_assert_max_num_queries):
    # covers: PAY-1
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def list_queries(at):
        with time_machine.travel(at, tick=False):
            client.force_login(treasurer)
            client.post(reverse("backoffice:payout_run"))
            # Once first: the layout's menu is kept by the process (its first read counts).
            client.get(reverse("backoffice:payouts"))
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("backoffice:payouts")).status_code == 200
        return len(ctx)

    _sales(2)
    _sales(2, account=False)
    small = list_queries(AVAILABLE_AT)
    _sales(6)
    _sales(6, account=False)
    big = list_queries(AVAILABLE_AT + timedelta(hours=1))
    assert small <= 30
    # The vendors listed as not paid have their KYC read in one query, however many.
    assert big == small, (small, big)
    payout = Payout.objects.first()
    with django_assert_max_num_queries(12):
        client.get(reverse("backoffice:payout", args=[payout.pk]))
