"""Start an app under gunicorn, wait until it answers, and watch its workers' memory."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ACCOUNT_SID = "AC" + "0" * 32


@dataclass(frozen=True)
class Settings:
    """Production settings with fresh secrets, as a deployment has them."""

    auth_token: str
    environ: dict[str, str]


def settings(port: int, database_url: str | None) -> Settings:
    token = secrets.token_hex(16)
    environ = {
        "RESPONDER_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "RESPONDER_DATA_KEY": secrets.token_urlsafe(32),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": token,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        # Warnings still show; the per-message INFO lines would only measure the terminal.
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        environ["DATABASE_URL"] = database_url
    return Settings(token, environ)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """One gunicorn master serving app on port; stop() ends it and its workers."""

    def __init__(
        self,
        app: str,
        port: int,
        environ: dict[str, str],
        workers: int,
        worker_class: str,
        threads: int,
        log: Path,
    ) -> None:
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            app,
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--threads", str(threads),
            "--backlog", "2048",
        ]  # fmt: skip
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, **environ},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.port = port
        self.peak_rss: dict[int, int] = {}

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited early:\n" + self._log_tail())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n" + self._log_tail())

    def _log_tail(self) -> str:
        # The log lives in the run's temporary folder, which goes when the run ends.
        self._log.flush()
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-20:])

    def workers(self) -> list[int]:
        """The worker processes: the master's children, as the kernel lists them."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def sample_memory(self) -> None:
        """Record each worker's high-water resident memory (VmHWM), in bytes."""
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), peak)

    def stop(self) -> None:
        self.sample_memory()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
