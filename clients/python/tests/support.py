"""Real parts for the tests: the built `vidhook serve` as a process, and a local HTTP receiver."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[3]
#: The vidhook CLI to run (the repository's built one unless VIDHOOK_BIN names another).
BIN = os.environ.get("VIDHOOK_BIN") or str(REPO / "bin" / "vidhook.js")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Received:
    def __init__(self, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Answers 200 to every POST and keeps what it got."""

    def __init__(self) -> None:
        self.requests: List[Received] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._changed:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver._changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for_request(self, matches: Callable[[Received], bool], timeout: float = 20.0) -> Received:
        def first_match() -> Optional[Received]:
            return next((r for r in self.requests if matches(r)), None)

        with self._changed:
            found = self._changed.wait_for(first_match, timeout)
            if found is None:
                raise AssertionError(f"no matching request among the {len(self.requests)} received")
            return found

    def wait_for(self, count: int, timeout: float = 20.0) -> List[Received]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
            return list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Sandbox:
    """A working dir with its own data dir, user config dir and project config."""

    def __init__(self, config: str = "") -> None:
        self.dir = tempfile.mkdtemp(prefix="vidhook-py-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VIDHOOK_")}
        self.env.update(
            VIDHOOK_DATA_DIR=os.path.join(self.dir, "data"),
            VIDHOOK_CONFIG_DIR=os.path.join(self.dir, "user-config"),
            NO_COLOR="1",
            CI="true",
        )
        Path(self.dir, "vidhook.config.yaml").write_text(config)

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """`vidhook serve` in the sandbox, started and waited for until it listens."""

    def __init__(self, box: Sandbox, args: Sequence[str] = (), port: int = 0) -> None:
        self._process = subprocess.Popen(
            ["node", BIN, "serve", "--port", str(port), *args],
            cwd=box.dir,
            env=box.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = ""
        url: Optional[str] = None
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.log += line
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        if url is None:
            self._process.wait()
            raise RuntimeError(f"the daemon did not start (exit {self._process.returncode}):\n{self.log}")
        self.url = url
        self.port = int(url.rsplit(":", 1)[1])
        # Keep reading its log so the pipe never fills.
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.log += line

    def stop(self) -> int:
        if self._process.poll() is None:
            self._process.terminate()
        code = self._process.wait(timeout=30)
        self._reader.join(timeout=30)
        assert self._process.stderr is not None
        self._process.stderr.close()
        return code
