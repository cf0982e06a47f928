"""``python -m keras_lsp ARGS...``: run the installed ``keras-lsp`` binary with ARGS.

The exit code is the binary's. On POSIX the Python process is replaced by the binary (``os.execv``),
so signals, stdin and stdout (the language server's channel) go to it directly; on Windows, which has
no such replacement, the binary runs as a child process and its exit code is passed on. When the
binary cannot be found, the reason is printed on stderr and the exit code is 127.
"""

from __future__ import annotations

import os
import subprocess
import sys

from keras_lsp import find_keras_lsp_bin


def main() -> int:
    """Run the binary with this process's arguments; return its exit code (Windows only)."""
    try:
        binary = find_keras_lsp_bin()
    except FileNotFoundError as error:
        print(f"keras_lsp: {error}", file=sys.stderr)
        return 127
    args = [binary, *sys.argv[1:]]
    if sys.platform == "win32":
        try:
            return subprocess.run(args, check=False).returncode
        except KeyboardInterrupt:
            # The console sent Ctrl+C to the child too; it has ended or is ending.
            return 130
    os.execv(binary, args)
    return 0  # not reached: execv replaces the process or raises OSError


if __name__ == "__main__":
    sys.exit(main())
