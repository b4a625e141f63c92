"""A redis-server of the test's own, on a free port: stopped and started again at will."""

from __future__ import annotations

import subprocess
import time

from bench.server import free_port


class OwnRedis:
    """A redis-server on a port of its own, which the test stops and starts again."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save",
                   "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.DEVNULL)
        for _ in range(100):
            done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],  # noqa: S603, S607
                                  capture_output=True, text=True)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self):
        import redis

        return redis.Redis(port=self.port)
