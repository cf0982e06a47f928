"""LSP smoke test of an installed keras-lsp: initialize, didOpen, hover, shutdown over stdio.

Usage: python smoke.py EXAMPLES_DIR SERVER_COMMAND...
  e.g. python smoke.py examples /tmp/venv/bin/keras-lsp
       python smoke.py examples /tmp/venv/bin/python -m keras_lsp

Opens EXAMPLES_DIR/cnn.py, hovers on `Conv2D` in its `conv_block` and checks the answer that
`keras-lsp check examples` gives for that call: the kernel gets `HeNormal(seed=1)` through the
variable `CONV_INIT`, and the bias is not created (`use_bias=False`). Standard library only, so it
runs in a bare virtualenv. Exits 0 when every check passes, 1 otherwise (with the server's stderr).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

TIMEOUT = 30.0  # seconds to wait for one response

# What the hover on `Conv2D` in examples/cnn.py line 9 must say (see `keras-lsp check examples/cnn.py`).
HOVER_FILE = "cnn.py"
HOVER_LINE_CONTAINS = "layers.Conv2D(filters, 3"
HOVER_ON = "Conv2D"
# The layout too: a bullet per weight, the rest of the origin chain nested under it (no table).
EXPECTED_IN_HOVER = [
    "keras.layers.Conv2D",
    "HeNormal(seed=1)",
    "variable `CONV_INIT` bound at line 5",
    "use_bias=False",
    "\n- **kernel** `HeNormal(seed=1)` — argument `kernel_initializer` at line 9\n"
    "  - ← variable `CONV_INIT` bound at line 5\n",
    "\n- **bias** not created (`use_bias=False`)\n",
]


class Server:
    """The server process and Content-Length framed JSON-RPC over its stdin/stdout."""

    def __init__(self, command: list[str], cwd: str) -> None:
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: queue.Queue = queue.Queue()
        self.stderr_lines: list[str] = []
        self.next_id = 1
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                self.messages.put({"protocol_error": "a message without Content-Length"})
                continue
            self.messages.put(json.loads(out.read(length).decode("utf-8")))

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip())

    def send(self, message: dict) -> None:
        body = json.dumps(dict(message, jsonrpc="2.0")).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params) -> dict:
        """Send a request and return its response; requests from the server are answered with null."""
        request_id = self.next_id
        self.next_id += 1
        self.send({"id": request_id, "method": method, "params": params})
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no response to {method} within {TIMEOUT:.0f} s") from None
            if message is None:
                raise AssertionError(f"the server closed stdout before answering {method}")
            if "protocol_error" in message:
                raise AssertionError(message["protocol_error"])
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            elif message.get("id") == request_id:
                return message


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    examples = Path(sys.argv[1]).resolve()
    command = sys.argv[2:]
    target = examples / HOVER_FILE
    text = target.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = next(i for i, l in enumerate(lines) if HOVER_LINE_CONTAINS in l)
    character = lines[line].index(HOVER_ON) + 2  # ASCII line: UTF-16 column = byte column

    server = Server(command, cwd=str(examples))
    try:
        init = server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri(examples),
                "workspaceFolders": [{"uri": uri(examples), "name": "examples"}],
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}},
                },
            },
        )
        info = init.get("result", {}).get("serverInfo", {})
        assert info.get("name") == "keras-lsp", f"serverInfo: {init}"
        assert init["result"]["capabilities"].get("hoverProvider"), f"no hoverProvider: {init}"
        server.notify("initialized", {})
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri(target),
                    "languageId": "python",
                    "version": 1,
                    "text": text,
                }
            },
        )
        hover = server.request(
            "textDocument/hover",
            {
                "textDocument": {"uri": uri(target)},
                "position": {"line": line, "character": character},
            },
        )
        result = hover.get("result") or {}
        contents = result.get("contents")
        value = contents.get("value", "") if isinstance(contents, dict) else json.dumps(contents)
        missing = [s for s in EXPECTED_IN_HOVER if s not in value]
        assert not missing, (
            f"hover at {HOVER_FILE}:{line + 1}:{character + 1} lacks {missing}:\n{value}"
        )

        shutdown = server.request("shutdown", None)
        assert "error" not in shutdown, f"shutdown: {shutdown}"
        server.notify("exit", None)
        server.proc.stdin.close()
        code = server.proc.wait(timeout=TIMEOUT)
        assert code == 0, f"the server exited with {code} after shutdown and exit"
    except AssertionError as failure:
        server.proc.kill()
        server.proc.wait()
        print(f"FAIL: {failure}", file=sys.stderr)
        print("server stderr:\n" + "\n".join(server.stderr_lines[-40:]), file=sys.stderr)
        return 1
    print(
        f"ok: {info.get('name')} {info.get('version')} over stdio ({' '.join(command)}): "
        f"hover on {HOVER_ON} at {HOVER_FILE}:{line + 1} shows {', '.join(EXPECTED_IN_HOVER[1:3])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
