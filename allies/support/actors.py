"""Who acts on a thread: an `Actor` of the order timeline (customer, vendor user, API key,
staff, system), or someone the thread knows only by an email address.

The contact form is open to visitors without an account (CS-4), and vendor emails go to the
addresses the vendor chose, which need not be accounts (`Vendor.order_email_recipients`):
their replies by email come from an address, not a user. `EmailIdentity` carries that
address; the services check it against the thread (the visitor's `contact_email`, or the
vendor's addresses) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from allies.core.text import normalize_email
from allies.orders.events import Actor, ActorKind

__all__ = ["Actor", "ActorKind", "EmailIdentity", "ThreadActor"]


@dataclass(frozen=True)
class EmailIdentity:
    """A visitor of the contact form (kind CUSTOMER) or a vendor's order-email address
    (kind VENDOR_USER), known by `email` only."""

    kind: ActorKind
    email: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (ActorKind.CUSTOMER, ActorKind.VENDOR_USER):
            raise ValueError(f"an email identity is a customer or a vendor, not {self.kind}")
        object.__setattr__(self, "email", normalize_email(self.email))
        if not self.email:
            raise ValueError("an email identity needs its address")

    @property
    def user_id(self) -> None:
        return None

    @property
    def api_key_id(self) -> None:
        return None


ThreadActor = Actor | EmailIdentity
