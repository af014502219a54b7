"""`manage.py run_demo`: start and supervise everything the demo needs, stop it all on Ctrl-C.

Children: the ASGI web server (granian), the task worker, the scheduler and every fake provider
server that exists (FAKE_SERVERS is the list; a fake whose command is not installed is skipped).
Each child runs in its own process group, so the terminal's Ctrl-C reaches only this supervisor,
which then stops each group in order (SIGTERM, then SIGKILL after a grace period) so grandchildren
such as granian's workers go too. On Linux a child also gets SIGTERM if the supervisor itself is
killed (PR_SET_PDEATHSIG). If any child dies, the supervisor reports it and stops the others:
a half-running demo is worse than a clear error.
"""

import contextlib
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicrm.core.models import Role
from clinicrm.devtools.management.commands.seed_demo import (
    format_logins,
    format_twilio_accounts,
)

# Demo-only secrets shared by the CRM and the fake providers (never used outside the demo).
EVOLUTION_DEMO_KEY = "BQYHJGJHJ"  # fake_evolution's default global key (its --apikey)
DEMO_ENV = {
    "ASAAS_ENVIRONMENT": "sandbox",
    "ASAAS_API_KEY": "$aact_hmlg_demo_clinicrm_000000000000",
    "ASAAS_WEBHOOK_TOKEN": "demo-asaas-webhook-token-clinicrm",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True)
class FakeServer:
    """A local fake provider: `manage.py <command> --port <port> <extra args>`."""

    command: str
    port: int
    # Environment the CRM processes need to talk to this fake, given its base URL.
    crm_env: Callable[[str], dict[str, str]]
    # Extra CLI args; "{public}" is replaced by the CRM's public base URL.
    extra_args: tuple[str, ...] = ()


FAKE_SERVERS: tuple[FakeServer, ...] = (
    FakeServer(
        command="fake_asaas",
        port=8083,
        crm_env=lambda url: {"ASAAS_BASE_URL": f"{url}/v3"},
        extra_args=("--webhook-url", "{public}/webhooks/asaas/"),
    ),
    # More fakes (Evolution on 8081, Twilio on 8082) get one line here when their command exists.
    FakeServer(command="fake_twilio", port=8082, crm_env=lambda url: {"TWILIO_API_BASE_URL": url}),
    # Global key = the fake's default (fake_evolution.server.GLOBAL_APIKEY); instances are
    # created by the CRM (demo: provision_demo_channels below) with the webhook on {public}.
    FakeServer(
        command="fake_evolution",
        port=8081,
        crm_env=lambda url: {"EVOLUTION_BASE_URL": url, "EVOLUTION_API_KEY": EVOLUTION_DEMO_KEY},
    ),
)


def provision_demo_channels(
    *, public: str, ports: Mapping[str, int], say: Callable[[str], None]
) -> None:
    """The fakes keep no state between runs: register the demo tenants' WhatsApp channels on them
    (devtools.seed.demo_channels_provision). A failure is reported; the demo keeps running."""
    from clinicrm.devtools.seed import demo_channels_provision

    fakes = {name: p for name, p in ports.items() if name in ("fake_evolution", "fake_twilio")}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(
        port_accepts("127.0.0.1", p) for p in fakes.values()
    ):
        time.sleep(0.2)
    urls = {name: f"http://127.0.0.1:{p}" for name, p in fakes.items()}
    try:
        for line in demo_channels_provision(public_url=public, fake_urls=urls):
            say(line)
    except Exception as exc:  # a demo convenience must not stop the demo
        say(f"aviso: canais de WhatsApp da demo não preparados ({type(exc).__name__}: {exc})")


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...
    def flush(self) -> Any: ...


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


def _child_preexec() -> None:  # pragma: no cover - runs in the forked child
    os.setsid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with the supervisor
        except OSError:
            pass


class Supervisor:
    """Start children, watch them, and stop them all (used by the command and its tests)."""

    def __init__(self, children: Sequence[Child], *, out: Writer, grace: float = 10.0) -> None:
        self.children = list(children)
        self.out = out
        self.grace = grace
        self.stop_reason: str | None = None
        self.failed_child: str | None = None

    def say(self, message: str) -> None:
        self.out.write(f"[run_demo] {message}\n")
        self.out.flush()

    def start(self) -> None:
        for child in self.children:
            env = {**os.environ, **child.env}
            child.process = subprocess.Popen(  # noqa: S603 - argv lists we build ourselves
                child.argv, env=env, preexec_fn=_child_preexec, close_fds=True
            )
            self.say(f"{child.name} iniciado (pid {child.process.pid})")

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_reason is None:
            self.stop_reason = signal.Signals(signum).name
        else:
            self.grace = 0  # a second Ctrl-C: stop waiting, kill now

    def dead_child(self) -> Child | None:
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                return child
        return None

    def watch(self, *, until: Callable[[], bool] | None = None, tick: float = 0.2) -> bool:
        """Wait for a signal, a dead child, or `until()`. True only when `until()` came true."""
        while self.stop_reason is None:
            dead = self.dead_child()
            if dead is not None:
                assert dead.process is not None
                self.failed_child = dead.name
                self.say(
                    f"{dead.name} terminou inesperadamente (código {dead.process.returncode}); "
                    "encerrando os demais processos."
                )
                return False
            if until is not None and until():
                return True
            time.sleep(tick)
        return False

    def stop(self) -> None:
        """SIGTERM every process group, wait up to `grace`, then SIGKILL what is left."""
        running = [c for c in self.children if c.process is not None]
        for child in reversed(running):
            assert child.process is not None
            if child.process.poll() is None:
                _signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in running:
            assert child.process is not None
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} não parou a tempo; forçando.")
                _signal_group(child.process.pid, signal.SIGKILL)
                child.process.wait()
        # Leaders are gone; make sure no grandchild of theirs survives in its group.
        for child in running:
            assert child.process is not None
            _signal_group(child.process.pid, signal.SIGKILL)
        self.say("todos os processos foram encerrados.")


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def demo_children(*, host: str, port: int, base_dir: Path) -> tuple[list[Child], dict[str, int]]:
    """The demo's processes and the ports they listen on (name -> port)."""
    python = sys.executable
    manage = str(base_dir / "manage.py")
    public = f"http://{host}:{port}"
    available = get_commands()
    env: dict[str, str] = {**DEMO_ENV, "PUBLIC_BASE_URL": public}
    fakes = [f for f in FAKE_SERVERS if f.command in available]
    for fake in fakes:
        env.update(fake.crm_env(f"http://127.0.0.1:{fake.port}"))
    granian = str(Path(python).parent / "granian")
    children = [
        Child(
            "web",
            [
                granian,
                "--interface",
                "asginl",
                "--host",
                host,
                "--port",
                str(port),
                "--no-reload",
                "clinicrm.config.asgi:application",
            ],
            env,
        ),
        Child("worker", [python, manage, "worker", "--queue-name", "*", "--no-reload"], env),
        Child("scheduler", [python, manage, "scheduler"], env),
    ]
    ports = {"web": port}
    for fake in fakes:
        args = [a.replace("{public}", public) for a in fake.extra_args]
        children.append(
            Child(
                fake.command, [python, manage, fake.command, "--port", str(fake.port), *args], env
            )
        )
        ports[fake.command] = fake.port
    return children, ports


def parse_child(value: str) -> Child:
    name, sep, command = value.partition("=")
    if not sep or not name or not command:
        raise CommandError("--child espera NOME=COMANDO")
    return Child(name, shlex.split(command))


class Command(BaseCommand):
    help = "Sobe o servidor web, o worker, o agendador e os simuladores; Ctrl-C encerra tudo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--grace", type=float, default=10.0, help="Seconds to stop children.")
        parser.add_argument(
            "--child",
            action="append",
            default=[],
            metavar="NAME=COMMAND",
            help="Supervise these commands instead of the demo's (tests and debugging).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        custom = [parse_child(v) for v in options["child"]]
        if custom:
            children, ports = custom, dict[str, int]()
        else:
            children, ports = demo_children(host=host, port=port, base_dir=settings.BASE_DIR)
        busy = [f"{name} ({p})" for name, p in ports.items() if not port_is_free("127.0.0.1", p)]
        if busy:
            raise CommandError(
                f"Porta(s) em uso: {', '.join(busy)}. Encerre o outro processo e tente de novo."
            )

        supervisor = Supervisor(children, out=self.stdout, grace=options["grace"])
        supervisor.install_signal_handlers()
        supervisor.start()
        try:
            web = "web" in ports
            if not web or supervisor.watch(until=lambda: port_accepts(host, port)):
                if web:
                    provision_demo_channels(
                        public=f"http://{host}:{port}", ports=ports, say=supervisor.say
                    )
                    self.stdout.write(self._banner(host, port, ports))
                supervisor.watch()
        finally:
            if supervisor.stop_reason:
                supervisor.say(f"{supervisor.stop_reason} recebido; encerrando.")
            supervisor.stop()
        if supervisor.failed_child is not None:
            raise CommandError(f"{supervisor.failed_child} parou; demo encerrada.")

    def _banner(self, host: str, port: int, ports: Mapping[str, int]) -> str:
        from clinicrm.devtools.seed import DEMO_PASSWORD, STAFF_EMAIL, TENANTS

        logins = [
            (spec.name, Role(m.role).label, f"{m.local_part}@{spec.domain}")
            for spec in TENANTS
            for m in spec.members
        ]
        logins.append(("Clinicrm (SaaS)", "Equipe SaaS", STAFF_EMAIL))
        fakes = [f"  {name}: http://127.0.0.1:{p}/" for name, p in ports.items() if name != "web"]
        lines = [
            "",
            "=" * 72,
            f"Clinicrm rodando em http://{host}:{port}/  (Ctrl-C encerra tudo)",
            *(["Simuladores:", *fakes] if fakes else []),
            format_logins(logins, DEMO_PASSWORD),
            format_twilio_accounts(),
            "=" * 72,
            "",
        ]
        return "\n".join(lines)
