"""The support's periodic work is scheduled, and `make run` starts the inbound mail endpoint."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from allies.aftersales.models import ReturnRequest
from allies.core.management.commands import serve
from allies.support.models import Thread
from allies.support.states import operator_late_q, vendor_late_q
from allies.support.tasks import support_reminders
from tests.support.conftest import START, question, sent_to


def test_the_reminders_are_among_the_periodic_sweeps():
    # covers: CS-1 (the reminder before the 48 h run out is sent without anyone asking)
    assert "support_reminders" in serve.SWEEPS
    assert serve.SWEEP_SECONDS <= 15 * 60  # well inside the reminder's 12 h window


@pytest.mark.django_db
def test_the_sweep_command_and_the_task_send_the_due_reminders_once(shop, settings):
    settings.SUPPORT_VENDOR_REMINDER_HOURS = 12
    with time_machine.travel(START, tick=False):
        question(shop)
        question(shop, body="Et en bleu ?")
    with time_machine.travel(START + timedelta(hours=37), tick=False):
        out = io.StringIO()
        call_command("support_reminders", stdout=out)
        assert out.getvalue().strip() == "2 reminder(s) sent."
        assert support_reminders.call() == 0  # already reminded: idempotent
    assert len([m for m in sent_to("contact@verlaine.test") if "Rappel" in m.subject]) == 2


class FakeSupervisor:
    made: dict = {}

    def __init__(self, commands, **kwargs):
        FakeSupervisor.made = commands

    def stop(self, *args):
        pass

    def run(self):
        pass


@pytest.mark.parametrize("enabled", [True, False])
def test_serve_supervises_the_inbound_mail_endpoint_when_enabled(settings, monkeypatch, enabled):
    settings.SUPPORT_SMTP_ENABLED = enabled
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve, "Supervisor", FakeSupervisor)
    monkeypatch.setattr(serve.signal, "signal", lambda *args: None)
    serve.Command(stdout=io.StringIO()).handle(workers=1)
    assert {"web", "worker"} <= set(FakeSupervisor.made)
    if enabled:
        assert FakeSupervisor.made["smtp"][-1] == "support_smtp"
    else:
        assert "smtp" not in FakeSupervisor.made


@pytest.mark.django_db
@pytest.mark.xdist_group("demo_data")
def test_the_demo_data_has_requests_in_several_states():
    call_command("demo_data", "--products", "120", stdout=io.StringIO())
    stages = sorted(Thread.objects.values_list("stage", flat=True))
    # The sixth is the demo return's thread: the vendor's acceptance answered it; the
    # seventh the demo claim's, waiting for the vendor.
    assert stages == [
        "answered", "answered", "escalated", "escalated", "waiting_vendor", "waiting_vendor",
        "waiting_vendor",
    ]  # fmt: skip
    assert ReturnRequest.objects.get().status == "accepted"
    now = timezone.now()
    assert Thread.objects.filter(vendor_late_q(now)).count() == 1  # the vendor let 48 h pass
    breaching = Thread.objects.get(operator_late_q(now))  # the operator's 24 h ran out
    assert breaching.vendor is not None and breaching.vendor_breaches == 1
    assert Thread.objects.filter(vendor__isnull=True, customer__isnull=True).count() == 1
