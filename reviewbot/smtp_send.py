"""Deliver drafts from an outbox, each at most once, whoever sends them.

This is the one send path: ``review --send``, the watcher's ``send = true``
delivery and the review queue's "Send now" all come here, by SMTP
(``[smtp]``) or through a sendmail program (``[queue] sendmail``).

One lock per draft, taken before the mail leaves: ``NAME.sending``,
created exclusively (a locked temporary file linked into place, so it is
never seen unlocked while its sender lives) and held with ``flock`` for
the whole send. Once it is taken, ``NAME.sent`` is checked again: a sender
that looked before another one finished sees the record and stops. After
the server accepts the mail, ``NAME.sent`` records the time, the server
and its answer, and the marker goes.

- A marker whose lock is held: another sender is sending it now.
- A marker nobody holds: *in doubt*. The sender was killed, or the
  connection failed after the mail's data was handed over (dropped,
  timed out), so the server may have it. It is never sent again
  automatically; a person looks on the list and decides.
- A failure before any data was handed over (no connection, refused
  login, sender or recipients refused, an outbox that cannot be written)
  removes the marker: nothing went out, and the error says why.

The password comes only from ``REVIEWBOT_SMTP_PASSWORD`` or ``~/.netrc``.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import logging
import netrc
import os
import secrets
import shlex
import smtplib
import ssl
import subprocess
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path

from reviewbot.errors import ConfigError, InputError, NetworkError
from reviewbot.outbox import sent_record
from reviewbot.settings import SmtpSettings

logger = logging.getLogger(__name__)

PASSWORD_ENV = "REVIEWBOT_SMTP_PASSWORD"
SENDMAIL_TIMEOUT = 120  # seconds a sendmail program may take to queue one mail


@dataclass(frozen=True)
class SendResult:
    """What happened to one draft: sent, already-sent, sending (another sender has it
    now), would-send, in-doubt, no-recipients."""

    path: Path
    status: str
    subject: str
    recipients: tuple[str, ...]
    answer: str = ""


class SendInDoubt(NetworkError):
    """A mail may have gone out (its data was handed over, no answer came): the
    ``.sending`` marker stays, and nothing sends the draft again by itself."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class SendRefused(NetworkError):
    """Nothing went out (no connection, refused before or at the data): the marker is gone."""


class Marker(enum.Enum):
    """The ``.sending`` marker of a draft, as another process sees it."""

    NONE = "none"
    HELD = "held"  # a live sender holds its lock: it is being sent now
    LEFT = "left"  # nobody holds it: in doubt


def sending_marker(path: Path) -> Path:
    return path.with_suffix(".sending")


def marker_state(path: Path) -> Marker:
    """Whether the draft at ``path`` is being sent now, in doubt, or neither."""
    try:
        fd = os.open(sending_marker(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return Marker.NONE
    except OSError:
        return Marker.LEFT  # there, but unreadable: a person has to look
    try:
        # shared, so two readers never make each other see "held"
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return Marker.HELD
    finally:
        os.close(fd)
    return Marker.LEFT


class Claim:
    """The lock on one draft for one send: the linked, locked ``.sending`` marker."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    def release(self) -> None:
        """Nothing went out: remove the marker, then let go of the lock."""
        with contextlib.suppress(FileNotFoundError):
            sending_marker(self.path).unlink()
        self._close()

    def finish(self) -> None:
        """The ``.sent`` record is written: the marker goes."""
        self.release()

    def leave(self) -> None:
        """It may have gone out: keep the marker (in doubt), let go of the lock."""
        self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _create_locked(marker: Path) -> int | None:
    """A new marker whose lock we hold, or None when one exists; OSError when none can be made.

    A locked temporary file is linked into place, so no other process ever
    sees the marker unlocked while its sender lives. Where the file system
    has no hard links, the marker is created exclusively and locked at once.
    """
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC
    note = f"pid {os.getpid()} since {_now()}\n".encode()
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, flags, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, note)
        os.link(tmp, marker)
        return fd
    except FileExistsError:
        os.close(fd)
        return None
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS):
            raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    try:  # no hard links here
        fd = os.open(marker, flags, 0o644)
    except FileExistsError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, note)
    except OSError:
        marker.unlink(missing_ok=True)
        os.close(fd)
        raise
    return fd


def claim(path: Path) -> Claim | str:
    """Take the send lock of the draft at ``path``; or say why not.

    Returns the Claim, or ``already-sent``, ``sending`` (another sender holds
    it) or ``in-doubt`` (a marker nobody holds). ``.sent`` is checked again
    after the lock is taken. An outbox that cannot be written raises
    InputError: nothing was sent.
    """
    for _attempt in range(5):
        if sent_record(path).exists():
            return "already-sent"
        try:
            fd = _create_locked(sending_marker(path))
        except OSError as exc:
            raise InputError(
                f"{path.parent}: cannot mark {path.name} as being sent "
                f"({exc.strerror or exc}); nothing was sent"
            ) from None
        if fd is None:
            state = marker_state(path)
            if state is Marker.NONE:
                continue  # its sender just finished or let go: look again
            return "sending" if state is Marker.HELD else "in-doubt"
        taken = Claim(path, fd)
        if sent_record(path).exists():  # another sender finished while we looked
            taken.release()
            return "already-sent"
        return taken
    return "sending"  # markers come and go faster than we can look: someone is at it


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def smtp_password(smtp: SmtpSettings, env: Mapping[str, str] | None = None) -> str | None:
    """The password from the environment, else from ``~/.netrc`` for ``smtp.host``."""
    env = os.environ if env is None else env
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    home = env.get("HOME")
    path = Path(home) / ".netrc" if home else None
    if path is None or not path.is_file():
        return None
    try:
        auth = netrc.netrc(str(path)).authenticators(smtp.host)
    except (netrc.NetrcParseError, OSError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    if auth is None:
        return None
    login, _account, password = auth
    if smtp.user and login and login != smtp.user:
        return None
    return password


def _read(path: Path) -> EmailMessage:
    try:
        with path.open("rb") as fh:
            return BytesParser(policy=policy.default).parse(fh)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the draft ({exc.strerror or exc})") from None


def _recipients(msg: EmailMessage) -> tuple[str, ...]:
    seen: list[str] = []
    for _name, addr in getaddresses(
        [str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", [])]
    ):
        if addr and addr.lower() not in (s.lower() for s in seen):
            seen.append(addr)
    return tuple(seen)


class _NothingSent(Exception):
    """Raised by a transport when the mail certainly did not leave."""


def _connect(smtp: SmtpSettings, env: Mapping[str, str] | None) -> smtplib.SMTP:
    if not smtp.host:
        raise ConfigError("--send needs a server: set [smtp] host in the config")
    try:
        if smtp.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        conn.ehlo()
        if smtp.starttls and not smtp.ssl:
            if not conn.has_extn("starttls"):
                conn.close()
                raise ConfigError(
                    f"{smtp.host}:{smtp.port} does not offer STARTTLS; set smtp.starttls = false "
                    "only if sending in the clear is acceptable"
                )
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if smtp.user:
            password = smtp_password(smtp, env)
            if password is None:
                conn.close()
                raise ConfigError(
                    f"smtp.user is set but no password: set {PASSWORD_ENV} or a ~/.netrc "
                    f"entry for {smtp.host}"
                )
            conn.login(smtp.user, password)
    except (smtplib.SMTPException, OSError) as exc:
        raise NetworkError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None
    return conn


def _quietly_reset(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        conn.rset()


class _SmtpTransport:
    """``[smtp]``: one connection for the whole batch, opened when the first mail needs it."""

    def __init__(self, smtp: SmtpSettings, env: Mapping[str, str] | None) -> None:
        self.smtp = smtp
        self.env = env
        self.conn: smtplib.SMTP | None = None
        self.where = f"{smtp.host}:{smtp.port}"

    def open(self) -> None:
        """Connect (once), before any draft is claimed: a failure here touches no marker."""
        if self.conn is None:
            self.conn = _connect(self.smtp, self.env)

    def deliver(self, msg: EmailMessage, sender: str, rcpts: tuple[str, ...]) -> str:
        """MAIL, RCPT, DATA by hand, to keep the server's final answer for the record.

        Raises _NothingSent when the mail certainly did not leave (refused
        before or at DATA, a final refusal, a connection lost before DATA);
        anything raised once the data was being handed over is ambiguous.
        """
        conn = self.conn
        assert conn is not None, "open() first"
        data = msg.as_bytes(policy=policy.SMTP.clone(max_line_length=998))
        try:
            options = ["BODY=8BITMIME"] if conn.has_extn("8bitmime") else []
            code, resp = conn.mail(sender, options)
            if code != 250:
                _quietly_reset(conn)
                raise _NothingSent(f"sender {sender} refused: {code} {_text(resp)}")
            accepted = []
            for r in rcpts:
                code, resp = conn.rcpt(r)
                if code in (250, 251):
                    accepted.append(r)
                else:
                    logger.warning("server refused recipient %s: %s %s", r, code, _text(resp))
            if not accepted:
                _quietly_reset(conn)
                raise _NothingSent(f"every recipient refused: {', '.join(rcpts)}")
        except (smtplib.SMTPException, OSError) as exc:
            self.conn = None  # broken before DATA: nothing was handed over
            raise _NothingSent(str(exc) or type(exc).__name__) from None
        try:
            code, resp = conn.data(data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: no data was sent
            _quietly_reset(conn)
            raise _NothingSent(f"DATA refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
        if code != 250:  # a final answer refusing the mail
            _quietly_reset(conn)
            raise _NothingSent(f"refused: {code} {_text(resp)}")
        return f"{code} {_text(resp)}"

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()


class _SendmailTransport:
    """A sendmail program (``[queue] sendmail``): ``PROGRAM -i -f SENDER -- RCPT...``."""

    def __init__(self, program: str) -> None:
        self.argv = shlex.split(program)
        self.where = f"sendmail {self.argv[0] if self.argv else program}"

    def open(self) -> None:
        if not self.argv:
            raise ConfigError("[queue] sendmail is empty")

    def deliver(self, msg: EmailMessage, sender: str, rcpts: tuple[str, ...]) -> str:
        data = msg.as_bytes(policy=policy.SMTP.clone(max_line_length=998, linesep="\n"))
        argv = [*self.argv, "-i", "-f", sender, "--", *rcpts]
        try:
            proc = subprocess.run(
                argv, input=data, capture_output=True, timeout=SENDMAIL_TIMEOUT, check=False
            )
        except FileNotFoundError:
            raise _NothingSent(f"{argv[0]}: not found") from None
        except PermissionError:
            raise _NothingSent(f"{argv[0]}: not executable") from None
        if proc.returncode != 0:
            # sendmail refuses before queueing; its exit status says nothing went out
            err = " ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines())
            raise _NothingSent(f"{argv[0]} exited {proc.returncode}: {err[:300]}")
        return "exit 0"

    def close(self) -> None:
        pass


def _text(resp: bytes | str) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)


def _record(path: Path, where: str, answer: str, msg: EmailMessage, rcpts) -> None:
    text = (
        f"sent: {_now()}\nserver: {where}\nanswer: {answer}\n"
        f"message-id: {msg['Message-Id']}\nrecipients: {', '.join(rcpts)}\n"
    )
    tmp = path.with_suffix(".sent.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, sent_record(path))


def send_drafts(
    outbox: Path,
    smtp: SmtpSettings,
    dry_run: bool,
    *,
    only: Collection[str] | None = None,
    env: Mapping[str, str] | None = None,
    sendmail: str = "",
) -> list[SendResult]:
    """Send the drafts in ``outbox`` (or only the file names in ``only``) not sent yet.

    Through ``sendmail`` (a program) when given, else ``smtp``. Stops at the
    first failure: SendInDoubt when that mail may have gone out (its marker
    stays), any other ReviewbotError when it did not (no marker left).
    """
    transport: _SmtpTransport | _SendmailTransport = (
        _SendmailTransport(sendmail) if sendmail else _SmtpTransport(smtp, env)
    )
    results: list[SendResult] = []
    try:
        for path in sorted(outbox.glob("*.eml")):
            if only is not None and path.name not in only:
                continue
            result = _send_one(path, transport, smtp, dry_run)
            if result.status == "sent":
                logger.info("sent %s to %s: %s", path.name, ", ".join(result.recipients),
                            result.answer)
            results.append(result)
    finally:
        transport.close()
    return results


def _send_one(
    path: Path, transport: _SmtpTransport | _SendmailTransport, smtp: SmtpSettings, dry_run: bool
) -> SendResult:
    msg = _read(path)
    subject = str(msg.get("Subject", ""))
    rcpts = _recipients(msg)

    def result(status: str, answer: str = "") -> SendResult:
        return SendResult(path, status, subject, rcpts, answer)

    if sent_record(path).exists():
        return result("already-sent")
    state = marker_state(path)
    if state is not Marker.NONE:
        return result("sending" if state is Marker.HELD else "in-doubt")
    if not rcpts:
        return result("no-recipients")
    if dry_run:
        return result("would-send")
    transport.open()
    sender = smtp.envelope_from or parseaddr(str(msg.get("From", "")))[1]
    taken = claim(path)
    if isinstance(taken, str):
        return result(taken)
    try:
        answer = transport.deliver(msg, sender, rcpts)
    except _NothingSent as exc:
        taken.release()
        raise SendRefused(f"{transport.where}: {path.name} was not sent: {exc}") from None
    except (smtplib.SMTPException, OSError, subprocess.SubprocessError) as exc:
        taken.leave()
        raise SendInDoubt(
            f"{transport.where} failed while taking {path.name} "
            f"({exc or type(exc).__name__}); it may have gone out: it is in doubt and is "
            f"not sent again by itself; check the list, then remove "
            f"{sending_marker(path).name} (or mark it sent or not sent in the queue)",
            path,
        ) from None
    except BaseException:
        taken.leave()
        raise
    try:
        _record(path, transport.where, answer, msg, rcpts)
    except OSError as exc:
        taken.leave()
        raise SendInDoubt(
            f"{path.name} went out ({transport.where}: {answer}) but its record could not be "
            f"written ({exc.strerror or exc}); it stays in doubt and is not sent again",
            path,
        ) from None
    taken.finish()
    return result("sent", answer)

