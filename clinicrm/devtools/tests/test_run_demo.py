"""run_demo's supervision: Ctrl-C stops every child (and grandchild); a dead child stops all."""

import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from clinicrm.devtools.management.commands.run_demo import demo_children

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
SLEEPER = f"{sys.executable} -c 'import time; time.sleep(60)'"
# A child that starts a grandchild in its process group and prints the grandchild's pid.
PARENT = (
    f'{sys.executable} -c "import subprocess, time; '
    "p = subprocess.Popen(['sleep', '60']); print('grandchild', p.pid, flush=True); "
    'time.sleep(60)"'
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped by init


def start(*children: str) -> subprocess.Popen[str]:
    argv = [sys.executable, MANAGE, "run_demo", "--grace", "5"]
    for child in children:
        argv += ["--child", child]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )


def read_until(proc: subprocess.Popen[str], pattern: str, count: int, timeout: float = 30):
    """Read output lines until `count` lines matched `pattern`; return the matches."""
    assert proc.stdout is not None
    found: list[re.Match[str]] = []
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if match := re.search(pattern, line):
                found.append(match)
    assert len(found) == count, lines
    return found


def test_sigint_stops_every_child_and_grandchild():
    proc = start(f"a={SLEEPER}", f"b={PARENT}")
    try:
        pids = [int(m.group(1)) for m in read_until(proc, r"iniciado \(pid (\d+)\)", 2)]
        grandchild = int(read_until(proc, r"grandchild (\d+)", 1)[0].group(1))
        assert all(alive(pid) for pid in [*pids, grandchild])

        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "SIGINT recebido" in out
    assert "todos os processos foram encerrados" in out
    deadline = time.monotonic() + 5
    while any(alive(p) for p in [*pids, grandchild]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in [*pids, grandchild] if alive(p)]


def test_a_dead_child_stops_the_others_and_fails():
    proc = start(
        f"a={SLEEPER}", f"b={sys.executable} -c 'import sys, time; time.sleep(1); sys.exit(3)'"
    )
    try:
        pids = [int(m.group(1)) for m in read_until(proc, r"iniciado \(pid (\d+)\)", 2)]
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out
    assert "b terminou inesperadamente (código 3)" in out
    assert not [p for p in pids if alive(p)]


def test_demo_children_are_the_web_server_worker_scheduler_and_fakes(tmp_path):
    children, ports = demo_children(host="127.0.0.1", port=8000, base_dir=tmp_path)
    by_name = {c.name: c for c in children}
    web = by_name["web"].argv
    assert web[0].endswith("granian")
    assert web[web.index("--interface") + 1] == "asginl"
    assert web[-1] == "clinicrm.config.asgi:application"
    assert by_name["worker"].argv[2:] == ["worker", "--queue-name", "*", "--no-reload"]
    assert by_name["scheduler"].argv[2:] == ["scheduler"]
    assert ports["web"] == 8000
    env = by_name["web"].env
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    # The CRM and the fake share the same demo secrets (every child gets the same env).
    assert all(c.env == env for c in children)
    if "fake_asaas" in by_name:
        assert env["ASAAS_BASE_URL"] == "http://127.0.0.1:8083/v3"
        assert "--port" in by_name["fake_asaas"].argv
        assert ports["fake_asaas"] == 8083
