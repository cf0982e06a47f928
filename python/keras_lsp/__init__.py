"""The ``keras-lsp`` language server, packaged for Python environments.

The wheel carries the Rust binary ``keras-lsp`` as a script, so installing the package (``pip install
keras-lsp``, ``uv tool install keras-lsp``, ``pipx install keras-lsp``) puts the binary on the
environment's PATH. This package only helps find it:

* :func:`find_keras_lsp_bin` returns the path of the installed binary (for editor extensions and
  scripts that want the binary of a given Python environment rather than whatever is on PATH);
* ``python -m keras_lsp ARGS...`` runs the binary with the same arguments and exit code.
"""

from __future__ import annotations

import os
import sys
import sysconfig

__all__ = ["find_keras_lsp_bin"]

_BIN_NAME = "keras-lsp"


def _exe_name() -> str:
    """The binary's file name on this platform (``keras-lsp``, or ``keras-lsp.exe`` on Windows)."""
    return _BIN_NAME + (sysconfig.get_config_var("EXE") or "")


def _user_scheme() -> str:
    """The sysconfig scheme that ``pip install --user`` installs into."""
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def _candidate_dirs() -> list[str]:
    """The folders that may hold the binary, most likely first, without duplicates."""
    dirs = []

    # 1. The scripts folder of the running interpreter's scheme: the virtualenv, the uv/pipx tool
    #    environment or the system prefix this package was installed into.
    dirs.append(sysconfig.get_path("scripts"))

    # 2. The scripts folder of the user scheme (`pip install --user`), e.g. ~/.local/bin.
    try:
        dirs.append(sysconfig.get_path("scripts", scheme=_user_scheme()))
    except KeyError:  # a Python built without a user scheme
        pass

    # 3. Next to the package, for installs outside the interpreter's own schemes.
    #    `pip install --target DIR` puts the package in DIR/keras_lsp and the scripts in DIR/bin
    #    (DIR/Scripts on Windows).
    package_dir = os.path.dirname(os.path.abspath(__file__))
    site_dir = os.path.dirname(package_dir)
    dirs.append(os.path.join(site_dir, "Scripts" if os.name == "nt" else "bin"))
    #    `pip install --prefix PREFIX` keeps the scheme's layout below PREFIX: the scripts folder is
    #    where it is relative to site-packages in the default scheme (../../../bin on POSIX).
    purelib = sysconfig.get_path("purelib")
    scripts = sysconfig.get_path("scripts")
    if purelib and scripts:
        try:
            relative = os.path.relpath(scripts, purelib)
        except ValueError:  # on different drives (Windows)
            relative = None
        if relative is not None:
            dirs.append(os.path.normpath(os.path.join(site_dir, relative)))

    unique = []
    seen = set()
    for d in dirs:
        if not d:
            continue
        key = os.path.normcase(os.path.abspath(d))
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


def find_keras_lsp_bin() -> str:
    """Return the path of the ``keras-lsp`` binary installed with this package.

    Looks, in this order, in the scripts folder of the running interpreter's sysconfig scheme (the
    virtualenv or tool environment), in the scripts folder of the user scheme (``pip install
    --user``), and next to the package (``pip install --target DIR`` puts the binary in
    ``DIR/bin``; ``pip install --prefix PREFIX`` in the scheme's scripts folder below ``PREFIX``).
    PATH is not searched: the point is the binary of this environment.

    Raises:
        FileNotFoundError: when none of those folders holds an executable ``keras-lsp``; the message
            lists the folders that were searched.
    """
    exe = _exe_name()
    searched = _candidate_dirs()
    for d in searched:
        path = os.path.join(d, exe)
        if os.path.isfile(path) and (os.name == "nt" or os.access(path, os.X_OK)):
            return path
    raise FileNotFoundError(
        "the keras-lsp binary was not found; it is installed with the Python package "
        "(`pip install keras-lsp`, or `pip install .` in a clone of the repository). Searched: "
        + ", ".join(searched)
    )
