"""`make run`'s supervisor: the web server and the worker outlive each other (issue 9 §8)."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from allies.core.management.commands.serve import Supervisor

ROOT = Path(__file__).resolve().parents[2]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
SCRIPT = """
import signal, sys
from allies.core.management.commands.serve import Supervisor
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
supervisor = Supervisor({"worker": sleeper, "web": sleeper}, log=lambda m: print(m, flush=True))
signal.signal(signal.SIGTERM, supervisor.stop)
supervisor.run()
"""


class Lines:
    """The supervisor's output, read as it comes."""

    def __init__(self, stream):
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.queue.put(line.strip())

    def wait_for(self, start: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line.startswith(start):
                return line
        raise AssertionError(f"no line starting with {start!r} within {timeout} s")


def pid_in(line: str) -> int:
    return int(line.split("(pid ")[1].split(")")[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_dead_worker_or_web_server_is_restarted_and_sigterm_stops_both():
    # covers: issue 9 §8
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        out = Lines(supervisor.stdout)
        worker = pid_in(out.wait_for("worker started"))
        web = pid_in(out.wait_for("web started"))

        os.kill(worker, signal.SIGKILL)
        assert "exited with -9" in out.wait_for(f"worker (pid {worker})")
        new_worker = pid_in(out.wait_for("worker started"))
        assert new_worker != worker and alive(new_worker)
        assert alive(web)  # the web server went on serving

        os.kill(web, signal.SIGKILL)
        new_web = pid_in(out.wait_for("web started"))
        assert new_web != web and alive(new_web) and alive(new_worker)

        supervisor.send_signal(signal.SIGTERM)
        out.wait_for("stopped", timeout=15)
        assert supervisor.wait(timeout=15) == 0
        assert not alive(new_worker) and not alive(new_web)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def test_a_child_that_keeps_dying_is_restarted_less_and_less_often():
    # covers: issue 9 §8 — a broken setup does not spin the machine
    log: list[str] = []
    supervisor = Supervisor({"worker": [sys.executable, "-c", "pass"]}, log=log.append)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    time.sleep(4.5)
    supervisor.stop()
    runner.join(timeout=15)
    delays = [
        float(line.split("restarting in ")[1].split(" s")[0])
        for line in log
        if "restarting in" in line
    ]
    assert delays[:3] == [1.0, 2.0, 4.0]
    assert log[-1] == "stopped"


def test_the_periodic_sweeps_run_and_a_failing_one_does_not_stop_the_site():
    # covers: issue 9 §7, §8
    log: list[str] = []
    runs: list[float] = []

    def sweep():
        runs.append(time.monotonic())
        raise RuntimeError("database is locked")

    supervisor = Supervisor({"web": SLEEPER}, log=log.append, sweep=sweep, sweep_seconds=0.1)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    time.sleep(0.6)
    supervisor.stop()
    runner.join(timeout=15)
    assert len(runs) >= 3
    assert any("periodic sweep failed" in line for line in log)
    assert log[-1] == "stopped"
