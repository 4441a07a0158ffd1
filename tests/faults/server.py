"""The web app as production runs it: gunicorn, several worker processes with threads each."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.faults.instance import BIN, Instance, wait_for

GUNICORN = BIN / "gunicorn"
WORKERS = 4
THREADS = 2


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    log: Path
    pid: int  # gunicorn's master; it leads a process group holding its workers too

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", "/login")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def running_server(instance: Instance) -> Iterator[Server]:
    """gunicorn with WORKERS processes of THREADS threads on a free port, stopped at the end."""
    port = free_port()
    log = instance.folder / "gunicorn.log"
    command = [
        str(GUNICORN),
        f"--workers={WORKERS}",
        f"--threads={THREADS}",
        f"--bind=127.0.0.1:{port}",
        "--graceful-timeout=5",
        "--no-control-socket",  # several test servers may run at once
        "tracker.wsgi:application",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=instance.folder,
            env=instance.process_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: process.poll() is not None or answers("127.0.0.1", port), every=0.1)
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        yield Server("127.0.0.1", port, log, process.pid)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_server(process.pid)
        process.wait(timeout=10)


def kill_server(pid: int) -> None:
    """kill -9 of gunicorn's master and every worker at once (its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def worker_pids(pid: int) -> list[int]:
    """gunicorn's workers: the processes whose parent is the master."""
    children = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(status.parent.name))
    return children
