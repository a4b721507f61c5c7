"""`pip install ./clients/python` works offline, and the installed package talks to a real server.

A fresh venv (with the system's site packages, for Debian's numpy) installs a copy of
clients/python with `pip install --no-build-isolation --no-index` (setuptools and wheel from
Debian; a copy so that the build leaves nothing in the source tree). Its python then imports
`latentdb` from the venv with Pillow hidden, checks that nothing outside the standard library
and numpy was imported, and drives a `latentdb serve` started by this test.
"""

import os
import shutil
import subprocess
import sys
import textwrap
import unittest

import ldb_server as S

SCRIPT = textwrap.dedent(r"""
    import sys
    sys.modules["PIL"] = None  # Pillow is optional: hide it
    import numpy as np
    before = set(sys.modules)  # the interpreter's start-up and numpy's own imports
    import latentdb
    from latentdb import Client, LatentDBError, DecodedImage
    from latentdb.media import encode_png

    venv = sys.argv[1]
    assert latentdb.__file__.startswith(venv), latentdb.__file__
    new = {m.split(".")[0] for m in set(sys.modules) - before}
    foreign = sorted(new - set(sys.stdlib_module_names) - {"latentdb", "numpy"})
    assert not foreign, "latentdb imported beyond the standard library and numpy: %s" % foreign

    from importlib import metadata
    assert metadata.version("latentdb") == latentdb.__version__
    assert [r.split(";")[0].strip() for r in (metadata.requires("latentdb") or []) if "extra ==" not in r] == ["numpy"]

    img = DecodedImage.from_png(encode_png(np.arange(12, dtype=np.uint8).reshape(3, 4)))
    assert img.to_numpy().tolist() == np.arange(12).reshape(3, 4).tolist()  # the PNG reader without Pillow
    try:
        img.to_pil()
        raise AssertionError("to_pil without Pillow must raise ImportError")
    except ImportError as e:
        assert "Pillow" in str(e)

    db = Client(sys.argv[2])
    db.create_collection("installed", dim=3, metric="cosine", index="Flat")
    db.upsert_numpy("installed", np.eye(3), ids=["x", "y", "z"])
    hits = db.search("installed", [0.1, 1.0, 0.0], k=2)
    assert [h.id for h in hits] == ["y", "x"], hits
    try:
        db.get("installed", "nope")
        raise AssertionError("expected a 404")
    except LatentDBError as e:
        assert e.status == 404 and e.code == "not_found"
    print("installed client OK")
""")


class PipInstall(unittest.TestCase):
    def test_pip_install_offline_then_use(self):
        tmp = S.TempDir()
        self.addCleanup(tmp.cleanup)
        src = tmp.sub("clients-python")
        shutil.copytree(S.CLIENT_DIR, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        venv = tmp.sub("venv")
        # The venv's python is the interpreter running this test (Debian's, with numpy).
        run = lambda *cmd: subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        r = run(sys.executable, "-m", "venv", "--system-site-packages", venv)
        self.assertEqual(r.returncode, 0, r.stdout.decode())
        pip = os.path.join(venv, "bin", "pip")
        r = run(pip, "install", "--no-build-isolation", "--no-index", "--no-cache-dir", src)
        self.assertEqual(r.returncode, 0, r.stdout.decode())
        self.assertIn("Successfully installed latentdb-", r.stdout.decode())
        script = tmp.sub("use_client.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        with S.Server(tmp.sub("data")) as server:
            # -I: isolated mode, so the repository's clients/python is not on the path.
            r = run(os.path.join(venv, "bin", "python"), "-I", "-B", script, os.path.realpath(venv), server.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode())
        self.assertIn("installed client OK", r.stdout.decode())


if __name__ == "__main__":
    unittest.main()
