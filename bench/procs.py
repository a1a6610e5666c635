"""Processes the benchmarks start: gunicorn servers and `lotse scheduler`s, always stopped again; RSS from /proc."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from bench.harness import REPO

STARTUP_SECONDS = 60


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process we started: SIGTERM to its id, SIGKILL to its id if it does not go."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def _pids() -> Iterator[int]:
    """Ids of the processes running now (read from /proc)."""
    return (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may contain spaces); None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """Ids of the direct children of a process (read from /proc)."""
    found = []
    for candidate in _pids():
        fields = _stat(candidate)
        if fields is not None and int(fields[1]) == pid:  # the parent id
            found.append(candidate)
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the given processes have used so far (gone ones count 0)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Ids of this machine's PostgreSQL processes (server, backends, background workers), by command name."""
    found = []
    for pid in _pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster"):
                found.append(pid)
        except OSError:
            continue
    return found


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process in KiB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


class Client:
    """A small JSON client over http.client (keep-alive where the server allows it; reconnects otherwise)."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 60):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.token = token

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """Send a request; returns (status, decoded JSON or None)."""
        headers = {"Accept": "application/json"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class Gunicorn:
    """`gunicorn app:create_app()` on a free loopback port; a context manager that always stops it."""

    def __init__(self, env: dict[str, str], workers: int, log_path: Path, worker_class: str = "sync",
                 threads: int = 1):
        self.env, self.workers, self.log_path, self.worker_class = env, workers, log_path, worker_class
        self.threads = threads
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> Gunicorn:
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-k", self.worker_class,
               "--threads", str(self.threads), "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
               "--graceful-timeout", "5", "app:create_app()"]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                client = Client(self.port, timeout=2)
                status, _ = client.request("GET", "/healthz")
                client.close()
                if status == 200 and len(children(self.proc.pid)) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {STARTUP_SECONDS} s")

    def worker_pids(self) -> list[int]:
        """The worker processes' ids."""
        return children(self.proc.pid) if self.proc else []

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            stop(self.proc)
        if self._log is not None:
            self._log.close()


class Schedulers:
    """N `lotse scheduler --tick T` processes; a context manager that always stops them."""

    def __init__(self, env: dict[str, str], count: int, tick: float, log_dir: Path):
        self.env, self.count, self.tick, self.log_dir = env, count, tick, log_dir
        self.procs: list[subprocess.Popen] = []
        self._logs: list[Any] = []

    def __enter__(self) -> Schedulers:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for index in range(self.count):
                log = open(self.log_dir / f"scheduler-{index}.log", "w")  # noqa: SIM115 - closed in __exit__
                self._logs.append(log)
                cmd = [sys.executable, "-c", "from app.cli import main; main()", "scheduler", "--tick", str(self.tick)]
                self.procs.append(subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT))
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        pending = set(range(self.count))
        while pending and time.monotonic() < deadline:
            for index in list(pending):
                if self.procs[index].poll() is not None:
                    raise RuntimeError(f"scheduler {index} exited: {self.log_text(index)[-2000:]}")
                if "scheduler ticking every" in self.log_text(index):
                    pending.discard(index)
            time.sleep(0.1)
        if pending:
            raise RuntimeError(f"schedulers {sorted(pending)} did not start within {STARTUP_SECONDS} s")

    def log_text(self, index: int) -> str:
        """What a scheduler printed so far."""
        return (self.log_dir / f"scheduler-{index}.log").read_text(errors="replace")

    def pids(self) -> list[int]:
        """The scheduler processes' ids."""
        return [p.pid for p in self.procs]

    def __exit__(self, *exc: Any) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            stop(proc)
        for log in self._logs:
            log.close()

