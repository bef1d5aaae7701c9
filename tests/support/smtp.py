"""A real SMTP server for the tests (aiosmtpd in a thread): records what it receives and can refuse
chosen recipients, temporarily (4xx) or for good (5xx), a given number of times."""
import socket
import subprocess
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


@dataclass
class Recorder:
    """The server's handler. `refuse[address] = (reply, times)` refuses that recipient `times` times."""
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, tuple[str, int]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if not session.host_name:  # the first EHLO of a connection (STARTTLS sends a second)
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply, times = self.refuse.get(address, ("", 0))
        if times > 0:
            self.refuse[address] = (reply, times - 1)
            self.refused.append(address)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"notifier" and auth_data.password == b"s3cret"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """start() / stop(); `port`, `handler` (the Recorder)."""

    def __init__(self, **smtp_parameters):
        self.handler = Recorder()
        self.port = free_port()
        if smtp_parameters.get("authenticator") is True:
            smtp_parameters["authenticator"] = self.handler.authenticate
            # aiosmtpd's LOGIN waits for the user name smtplib sends with the command: PLAIN only.
            smtp_parameters.setdefault("auth_exclude_mechanism", ["LOGIN"])
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **smtp_parameters)

    def start(self):
        self.controller.start()
        self.handler.connections = 0  # the controller's own test connection does not count
        return self

    def stop(self):
        self.controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1, made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key
