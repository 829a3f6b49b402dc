"""`make lab` starts a JupyterLab server that serves the course."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_course(tmp_path):
    port, token = _free_port(), "labtest"
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.runtime_dir={tmp_path}")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, pages = time.time() + 90, {}
        for path in ("lab", "api/contents/notebooks/00_welcome.ipynb"):
            while path not in pages:
                assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-2000:]
                assert time.time() < deadline, "JupyterLab did not answer within 90 s"
                try:
                    url = f"http://127.0.0.1:{port}/{path}?token={token}"
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        pages[path] = (resp.status, resp.read().decode(errors="replace"))
                except OSError:
                    time.sleep(0.5)
        assert pages["lab"][0] == 200 and "JupyterLab" in pages["lab"][1]
        assert pages["api/contents/notebooks/00_welcome.ipynb"][0] == 200
        assert '"type": "notebook"' in pages["api/contents/notebooks/00_welcome.ipynb"][1]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
