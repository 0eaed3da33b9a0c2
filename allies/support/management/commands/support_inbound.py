"""`manage.py support_inbound [RECIPIENT ...] < message.eml`: deliver one reply read from
standard input into its thread: the pipe an MTA runs instead of forwarding over SMTP (e.g.
Postfix `pipe` with `argv=… support_inbound ${recipient}`).

The exit status follows sysexits.h, which MTAs read: 0 delivered (or a duplicate, or an
automatic reply dropped), 75 (EX_TEMPFAIL) try again later, 65/67/69/77 refused for good
(bounced to the sender). One line on standard error says why."""

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from allies.support.smtp import EX_UNAVAILABLE, message_deliver


class Command(BaseCommand):
    help = "Deliver one reply email read from standard input into its support thread."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "recipients", nargs="*", help="The envelope recipients (the reply address)."
        )

    def handle(self, *args: Any, recipients: list[str], **options: Any) -> None:
        limit = int(settings.SUPPORT_INBOUND_MAX_BYTES)
        raw = sys.stdin.buffer.read(limit + 1)  # never more than one byte over the limit
        if len(raw) > limit:
            self.stderr.write("552 5.3.4 Message too big")
            sys.exit(EX_UNAVAILABLE)
        outcome = message_deliver(raw=raw, recipients=recipients)
        (self.stdout if outcome.exit_status == 0 else self.stderr).write(outcome.reply)
        if outcome.exit_status:
            sys.exit(outcome.exit_status)
