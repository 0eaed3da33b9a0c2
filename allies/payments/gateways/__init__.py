"""Payment gateways. `get_gateway()` gives the configured one (PAYMENT_GATEWAY, "sandbox" by
default); a payment always goes on with the gateway it started with (`Payment.gateway`)."""

from django.conf import settings

from allies.payments.gateways.base import PaymentGateway

GATEWAYS = ("sandbox", "lemonway")


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = (name or settings.PAYMENT_GATEWAY).strip().lower()
    if name == "sandbox":
        from allies.payments.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == "lemonway":
        from allies.payments.gateways.lemonway import LemonWayGateway

        return LemonWayGateway()
    raise ValueError(f"unknown payment gateway {name!r} (expected one of {GATEWAYS})")
