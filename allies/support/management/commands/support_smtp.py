"""`manage.py support_smtp [--host H] [--port P]`: run the inbound mail endpoint (replies by
email to "Assistance en ligne" threads) until SIGTERM or Ctrl-C. `make run` starts it; in
production the MTA in front forwards the replies to it (README, "Replies by email")."""

import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from allies.support.smtp import SmtpServer


class Command(BaseCommand):
    help = "Receive the replies to support emails over SMTP (the inbound mail endpoint)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.SUPPORT_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.SUPPORT_SMTP_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        asyncio.run(self._serve(host, port))

    async def _serve(self, host: str, port: int) -> None:
        server = SmtpServer(host=host, port=port)
        await server.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.close)
        self.stdout.write(f"Inbound support mail: SMTP on {host}:{server.port}.")
        self.stdout.flush()
        await server.serve_forever()
