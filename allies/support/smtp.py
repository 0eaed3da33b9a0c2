"""The inbound mail endpoint of "Assistance en ligne": a small SMTP server that turns the
replies sent to a thread's relayed address into messages of that thread.

`make run` starts it on SUPPORT_SMTP_HOST:SUPPORT_SMTP_PORT (127.0.0.1:2525) through
`manage.py support_smtp`; `manage.py support_inbound < message.eml` is the same delivery for
one message read from standard input (an MTA's pipe). Both end in `message_deliver`, which
calls `inbound.inbound_email_receive` and maps its outcome to one `Outcome`: an SMTP reply
(250, or 4xx to make the sending server try again later, or 5xx to make it bounce) and a
sysexits code for the pipe.

Why a server of our own, on asyncio streams: the usual library (aiosmtpd) is not among the
packages this project can install (no network; not in the local index), and the standard
library's `smtpd` was removed in Python 3.12. What an inbound endpoint needs is small and
written here: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffing), RSET, NOOP, QUIT, VRFY; SIZE,
8BITMIME and PIPELINING advertised; limits on the message size (SUPPORT_INBOUND_MAX_BYTES,
552 above it), line length, recipients per message, errors per session, open connections,
and a timeout on every read.

What it deliberately is not: a mail server facing the Internet. It speaks neither STARTTLS
nor AUTH, and it does not check SPF, DKIM or DMARC: the From header of what it receives can
be forged. In production it listens on a private address behind the MTA (Postfix, Exim) or
the email provider's inbound route that receives the mail for SUPPORT_REPLY_DOMAIN, checks
SPF/DKIM/DMARC, filters spam and forwards to this port (README, "Replies by email"). It
accepts only recipients shaped like a reply address (550 for others), so it relays nothing.

Each accepted message is delivered in a worker thread (the ORM is synchronous). Between
messages a thread keeps its database connection as a request would (CONN_MAX_AGE,
`close_old_connections`): closing a SQLite connection in WAL mode checkpoints the journal,
which cost 13 ms a message, a fifth of the delivery (bench/support_inbound.py). Once no
message has been in delivery for IDLE_CLOSE_SECONDS, and when the listener stops, every
delivery thread closes its connections: an idle listener holds none, and a test database
can be dropped behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections

from allies.support.errors import InboundRefused, SupportError
from allies.support.inbound import inbound_email_receive, reply_address_pattern

logger = logging.getLogger(__name__)

# RFC 5321 §4.5.3.1: a command line is at most 512 octets; SIZE/BODY parameters may add a
# little, so a command longer than this is refused (500) rather than parsed.
COMMAND_LINE_MAX = 1024
# A text line of the message: RFC 5321 says 1000 octets; clients that send longer lines
# exist, so some slack, but bounded: the whole line must fit in the stream's buffer.
DATA_LINE_MAX = 8192
MAX_RECIPIENTS = 20
MAX_ERRORS = 20  # bad commands in one session before it is cut off (as Postfix's default)
MAX_CONNECTIONS = 64
COMMAND_TIMEOUT = 300.0  # RFC 5321 §4.5.3.2.7: 5 minutes between commands
DATA_TIMEOUT = 180.0  # ~3 minutes per block of data (§4.5.3.2.5-6)
DELIVERY_THREADS = 4
IDLE_CLOSE_SECONDS = 2.0  # no delivery for this long: the threads close their connections

_PATH = re.compile(r"^\s*(<[^<>]*>|[^\s<>]+)\s*(.*)$")
_PARAM = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)(?:=([!-<>-~]+))?$")
# Sysexits (sysexits.h): what an MTA's pipe transport reads from `support_inbound`.
EX_OK, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOPERM = 0, 65, 67, 69, 75, 77


@dataclass(frozen=True)
class Outcome:
    """What became of one message: an SMTP reply and the pipe's exit status."""

    code: int
    text: str  # ASCII: an SMTP reply carries no other characters
    exit_status: int
    delivered: bool = False

    @property
    def reply(self) -> str:
        return f"{self.code} {self.text}"


ACCEPTED = Outcome(250, "2.0.0 Message received", EX_OK, delivered=True)
DUPLICATE = Outcome(250, "2.0.0 Message already received", EX_OK)
# An out-of-office answer is taken and dropped: refusing it would make the sending server
# bounce it back to the person who is away.
AUTO_REPLY = Outcome(250, "2.0.0 Automatic reply ignored", EX_OK)
TEMPORARY = Outcome(451, "4.3.0 Temporary failure, try again later", EX_TEMPFAIL)
# InboundRefused codes (inbound.py) → reply; any other refusal of the services is a 550.
_REFUSALS = {
    "too_large": Outcome(552, "5.3.4 Message too big", EX_UNAVAILABLE),
    "unreadable": Outcome(550, "5.6.0 Message unreadable", EX_DATAERR),
    "auto_reply": AUTO_REPLY,
    "no_thread": Outcome(550, "5.1.1 No such request for this address", EX_NOUSER),
    "unknown_sender": Outcome(550, "5.7.1 Sender not part of this request", EX_NOPERM),
    "empty": Outcome(550, "5.6.0 Empty reply", EX_DATAERR),
}
REFUSED = Outcome(550, "5.7.1 Message refused by the request", EX_UNAVAILABLE)


def recipient_allowed(address: str) -> bool:
    """Whether `address` is shaped like a thread's relayed reply address (its token is
    looked up only when the message is delivered)."""
    return reply_address_pattern().fullmatch(address.strip()) is not None


def message_deliver(*, raw: bytes, recipients: list[str]) -> Outcome:
    """Post the email `raw` in its thread (`inbound_email_receive`) and say how it went.
    Never raises: a failure of ours (database busy, a bug) is a temporary failure, so the
    sending server keeps the message and tries again."""
    try:
        result = inbound_email_receive(raw=raw, recipients=recipients)
    except InboundRefused as refused:
        logger.info("inbound email refused: %s", refused.code)
        return _REFUSALS.get(refused.code, REFUSED)
    except SupportError as refused:
        logger.info("inbound email refused: %s", refused.code)
        return REFUSED
    except DatabaseError:
        logger.exception("inbound email: database error")
        return TEMPORARY
    except Exception:  # a bug must not lose the reply: the sender's server retries
        logger.exception("inbound email: delivery failed")
        return TEMPORARY
    return DUPLICATE if result.duplicate else ACCEPTED


Deliver = Callable[..., Outcome]  # keyword-only `raw`, `recipients`, like message_deliver


def _deliver_in_thread(deliver: Deliver, raw: bytes, recipients: list[str]) -> Outcome:
    """Run in a worker thread of the listener, around the delivery as around a request:
    connections past CONN_MAX_AGE or broken are closed (module docstring)."""
    close_old_connections()
    try:
        return deliver(raw=raw, recipients=recipients)
    except Exception:
        logger.exception("inbound email: delivery failed")
        return TEMPORARY
    finally:
        close_old_connections()


@dataclass
class _Envelope:
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.sender = None
        self.recipients = []


class _Closed(Exception):
    """The client went away, or the session ends (QUIT, timeout, too many errors)."""


class SmtpServer:
    """The listener. `start()` binds (port 0: a free one, read back from `port`),
    `serve_forever()` runs until `close()` or cancellation.

    `deliver` is called in a worker thread with the message and its envelope recipients
    (default `message_deliver`); `max_bytes` is the SIZE advertised and enforced."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        hostname: str | None = None,
        max_bytes: int | None = None,
        deliver: Deliver = message_deliver,
        max_recipients: int = MAX_RECIPIENTS,
        command_timeout: float = COMMAND_TIMEOUT,
        data_timeout: float = DATA_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        delivery_threads: int = DELIVERY_THREADS,
    ) -> None:
        self.host = host
        self.port = port
        self.hostname = hostname or settings.SUPPORT_REPLY_DOMAIN or socket.getfqdn()
        self.max_bytes = int(max_bytes or settings.SUPPORT_INBOUND_MAX_BYTES)
        self.deliver = deliver
        self.max_recipients = max_recipients
        self.command_timeout = command_timeout
        self.data_timeout = data_timeout
        self.max_connections = max_connections
        self._threads = delivery_threads
        self._executor = ThreadPoolExecutor(delivery_threads, thread_name_prefix="smtp-deliver")
        self._in_delivery = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._server: asyncio.Server | None = None
        self._sessions = 0
        self._closed = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._session, self.host, self.port, limit=DATA_LINE_MAX
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        try:
            async with self._server:
                await self._server.serve_forever()
        except asyncio.CancelledError:
            if not self._closed:  # close() cancels serve_forever: a normal end
                raise
        finally:
            for done in self._connections_close():
                done.result()
            self._executor.shutdown(wait=True)

    def close(self) -> None:
        self._closed = True
        if self._server is not None:
            self._server.close()

    def _connections_close(self) -> list[Future[None]]:
        """Have every delivery thread close its database connections: one job per thread,
        held at a barrier until all have started, so no thread takes two."""
        barrier = threading.Barrier(self._threads)

        def close() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
            connections.close_all()

        return [self._executor.submit(close) for _ in range(self._threads)]

    async def deliver_in_thread(self, raw: bytes, recipients: list[str]) -> Outcome:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self._in_delivery += 1
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._executor, _deliver_in_thread, self.deliver, raw, recipients
            )
        finally:
            self._in_delivery -= 1
            if self._in_delivery == 0 and not self._closed:
                self._idle_timer = loop.call_later(IDLE_CLOSE_SECONDS, self._on_idle)

    def _on_idle(self) -> None:
        self._idle_timer = None
        if self._in_delivery == 0 and not self._closed:
            self._connections_close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._sessions += 1
        try:
            session = _Session(self, reader, writer)
            if self._sessions > self.max_connections:
                await session.send("421 4.3.2 Too many connections, try again later")
                return
            await session.run()
        except (_Closed, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            logger.exception("SMTP session failed")
        finally:
            self._sessions -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Session:
    """One client connection, command by command (RFC 5321 §4.1)."""

    def __init__(
        self, server: SmtpServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.greeted = False
        self.envelope = _Envelope()
        self.errors = 0

    async def send(self, *lines: str) -> None:
        """One reply; several lines are a multiline reply ("250-…" then "250 …")."""
        out = []
        for index, line in enumerate(lines):
            last = index == len(lines) - 1
            out.append(line if last else f"{line[:3]}-{line[4:]}")
        self.writer.write("".join(f"{line}\r\n" for line in out).encode("ascii", "replace"))
        await self.writer.drain()

    async def _read_line(self, timeout: float) -> tuple[bytes, bool]:
        """The next line with its line ending, and whether it was too long (then it is
        read to its end and dropped). EOF raises _Closed; a timeout answers 421."""
        try:
            async with asyncio.timeout(timeout):
                try:
                    return await self.reader.readuntil(b"\n"), False
                except asyncio.LimitOverrunError as over:
                    await self.reader.readexactly(over.consumed)
                while True:  # drop the rest of the overlong line
                    try:
                        await self.reader.readuntil(b"\n")
                        return b"", True
                    except asyncio.LimitOverrunError as over:
                        await self.reader.readexactly(over.consumed)
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.send("421 4.4.2 Timeout, closing connection")
            raise _Closed from None
        except asyncio.IncompleteReadError:
            raise _Closed from None

    async def _error(self, reply: str) -> None:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            await self.send("421 4.7.0 Too many errors, closing connection")
            raise _Closed
        await self.send(reply)

    async def run(self) -> None:
        await self.send(f"220 {self.server.hostname} ESMTP Allies support inbound")
        while True:
            line, too_long = await self._read_line(self.server.command_timeout)
            if too_long or len(line) > COMMAND_LINE_MAX:
                await self._error("500 5.5.2 Line too long")
                continue
            text = line.rstrip(b"\r\n").decode("ascii", "replace")
            verb, _space, argument = text.partition(" ")
            handler = getattr(self, f"smtp_{verb.upper()}", None) if verb.isalpha() else None
            if handler is None:
                await self._error("500 5.5.2 Command not recognized")
                continue
            await handler(argument.strip())

    # --- commands ---------------------------------------------------------------------------

    async def smtp_EHLO(self, argument: str) -> None:
        if not argument:
            await self._error("501 5.5.4 Syntax: EHLO hostname")
            return
        self.greeted = True
        self.envelope.reset()
        await self.send(
            f"250 {self.server.hostname}",
            f"250 SIZE {self.server.max_bytes}",
            "250 8BITMIME",
            "250 PIPELINING",
            "250 ENHANCEDSTATUSCODES",
        )

    async def smtp_HELO(self, argument: str) -> None:
        if not argument:
            await self._error("501 5.5.4 Syntax: HELO hostname")
            return
        self.greeted = True
        self.envelope.reset()
        await self.send(f"250 {self.server.hostname}")

    async def smtp_MAIL(self, argument: str) -> None:
        if not self.greeted:
            await self._error("503 5.5.1 Say EHLO first")
            return
        if self.envelope.sender is not None:
            await self._error("503 5.5.1 Sender already given")
            return
        parsed = _path(argument, "FROM:")
        if parsed is None:
            await self._error("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        address, params = parsed
        for name, value in params.items():
            if name == "SIZE":
                if value is None or not value.isdigit():
                    await self._error("501 5.5.4 Syntax: SIZE=<bytes>")
                    return
                if int(value) > self.server.max_bytes:
                    await self.send("552 5.3.4 Message too big")
                    return
            elif name == "BODY":
                if value is None or value.upper() not in ("7BIT", "8BITMIME"):
                    await self._error("501 5.5.4 Syntax: BODY=7BIT|8BITMIME")
                    return
            else:
                await self._error("555 5.5.4 Parameter not recognized")
                return
        self.envelope.sender = address
        await self.send("250 2.1.0 OK")

    async def smtp_RCPT(self, argument: str) -> None:
        if self.envelope.sender is None:
            await self._error("503 5.5.1 Need MAIL first")
            return
        parsed = _path(argument, "TO:")
        if parsed is None or not parsed[0]:
            await self._error("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        address, params = parsed
        if params:
            await self._error("555 5.5.4 Parameter not recognized")
            return
        if len(self.envelope.recipients) >= self.server.max_recipients:
            await self.send("452 4.5.3 Too many recipients")
            return
        if not recipient_allowed(address):
            await self.send("550 5.1.1 No such mailbox here")
            return
        self.envelope.recipients.append(address)
        await self.send("250 2.1.5 OK")

    async def smtp_DATA(self, argument: str) -> None:
        if argument:
            await self._error("501 5.5.4 Syntax: DATA")
            return
        if self.envelope.sender is None:
            await self._error("503 5.5.1 Need MAIL first")
            return
        if not self.envelope.recipients:
            await self._error("554 5.5.1 No valid recipients")
            return
        await self.send("354 End data with <CR><LF>.<CR><LF>")
        data = bytearray()
        limit = self.server.max_bytes
        too_big = too_long = False
        while True:
            line, overlong = await self._read_line(self.server.data_timeout)
            if line in (b".\r\n", b".\n"):
                break
            too_long |= overlong
            if line.startswith(b"."):
                line = line[1:]  # dot-unstuffing (§4.5.2)
            if not too_big and len(data) + len(line) > limit:
                too_big = True
                data = bytearray()  # stop holding it: read to the end and refuse
            if not too_big:
                data += line
        recipients = self.envelope.recipients
        self.envelope.reset()
        if too_big:
            await self.send("552 5.3.4 Message too big")
            return
        if too_long:
            await self.send("500 5.5.6 Line too long in message")
            return
        outcome = await self.server.deliver_in_thread(bytes(data), recipients)
        await self.send(outcome.reply)

    async def smtp_RSET(self, argument: str) -> None:
        self.envelope.reset()
        await self.send("250 2.0.0 OK")

    async def smtp_NOOP(self, argument: str) -> None:
        await self.send("250 2.0.0 OK")

    async def smtp_VRFY(self, argument: str) -> None:
        await self.send("252 2.5.2 Cannot verify, send some mail")

    async def smtp_HELP(self, argument: str) -> None:
        await self.send("214 2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP VRFY QUIT")

    async def smtp_QUIT(self, argument: str) -> None:
        await self.send("221 2.0.0 Bye")
        raise _Closed


def _path(argument: str, keyword: str) -> tuple[str, dict[str, str | None]] | None:
    """Parse "FROM:<a@b> SIZE=12" into ("a@b", {"SIZE": "12"}); None if malformed."""
    if not argument.upper().startswith(keyword):
        return None
    match = _PATH.match(argument[len(keyword) :])
    if match is None:
        return None
    address = match.group(1).strip("<>").strip()
    if ":" in address and address.startswith("@"):
        address = address.split(":", 1)[1]  # an obsolete source route: "@relay:user@host"
    if any(c.isspace() for c in address):
        return None
    params: dict[str, str | None] = {}
    for item in match.group(2).split():
        param = _PARAM.match(item)
        if param is None:
            return None
        params[param.group(1).upper()] = param.group(2)
    return address, params


async def smtp_serve(
    *, host: str, port: int, ready: Callable[[SmtpServer], None] | None = None
) -> None:
    """Run the listener until cancelled (the `support_smtp` command)."""
    server = SmtpServer(host=host, port=port)
    await server.start()
    if ready is not None:
        ready(server)
    await server.serve_forever()
