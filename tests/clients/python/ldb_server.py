"""Test support: a real `latentdb serve` on a free loopback port (the kernel picks it: --port 0),
started and stopped by the tests, and `latentdb` commands that prepare its data directory.

The binary is $LATENTDB_BINARY_UNDER_TEST, else $LATENTDB_BINARY (set by ctest), else
build/tools/latentdb of this repository. The client under test is imported from
clients/python of this repository (put first on sys.path here), not from an installed copy.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLIENT_DIR = os.path.join(REPO, "clients", "python")
FIXTURES = os.path.join(REPO, "tests", "fixtures")

if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)


def latentdb_binary():
    for var in ("LATENTDB_BINARY_UNDER_TEST", "LATENTDB_BINARY"):
        if os.environ.get(var):
            return os.environ[var]
    return os.path.join(REPO, "build", "tools", "latentdb")


def fixture(name):
    path = os.path.join(FIXTURES, name)
    if not os.path.isfile(path):  # the fixtures are part of the repository: missing is a failure
        raise FileNotFoundError("test fixture missing: " + path)
    return path


def run_latentdb(*args, timeout=600):
    """Runs `latentdb ARGS…` to completion; returns its output. AssertionError when it fails."""
    r = subprocess.run([latentdb_binary()] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != 0:
        raise AssertionError("latentdb %s exited with %d:\n%s" % (" ".join(map(str, args)), r.returncode, out))
    return out


class Server:
    """`latentdb serve --data-dir DIR --host 127.0.0.1 --port 0 EXTRA…`; ``url`` once started.

    Use as a context manager or call start()/stop(). The server's output goes to a log file in
    the data directory's parent, printed when it fails to start.
    """

    def __init__(self, data_dir, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.process = None
        self.port = None
        self.url = None
        self.log_path = os.path.join(os.path.dirname(os.path.abspath(data_dir)),
                                     "serve-%d.log" % int(time.time() * 1e6))

    def start(self, timeout=60.0):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [latentdb_binary(), "serve", "--data-dir", self.data_dir, "--host", "127.0.0.1", "--port", "0",
             "--threads", "2"] + self.extra_args,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            m = re.search(r"^listening on [^\n]*:(\d+)\n", text, re.M)
            if m:
                self.port = int(m.group(1))
                self.url = "http://127.0.0.1:%d" % self.port
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        with open(self.log_path, "rb") as f:
            raise RuntimeError("latentdb serve did not start:\n" + f.read().decode("utf-8", "replace"))

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class TempDir:
    """A temporary directory removed by cleanup()."""

    def __init__(self, prefix="ldb-pyclient-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def sub(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)
