"""A minimal SMTP server for tests: accepts every message and keeps it, on a local port that
can be stopped and started again (the mail server going down and coming back)."""

import email
import socket
import socketserver
import threading
from email.message import Message


class _Session(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self._reply("220 sink.test ESMTP")
        body: list[bytes] | None = None
        while line := self.rfile.readline():
            if body is not None:  # inside DATA, until the lone "."
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(email.message_from_bytes(b"".join(body)))
                    body = None
                    self._reply("250 queued")
                else:
                    body.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self._reply("250-sink.test")
                self._reply("250 8BITMIME")
            elif verb == b"DATA":
                body = []
                self._reply("354 end with <CRLF>.<CRLF>")
            elif verb == b"QUIT":
                self._reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self._reply("250 ok")

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = _free_port()
        self._server: _Server | None = None

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), _Session)
        self._server.messages = self.messages
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
