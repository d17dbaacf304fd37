"""Check an llm-fakes image's entrypoint: ``python reference/image/check.py TAG``.

With ``podman run`` where the OCI runtime works; where it is refused (crun cannot set rlimits
in some sandboxes), in the image's own root filesystem with chroot, as the image's user, in its
working directory, with its environment. Servers bind 127.0.0.1 only.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _chroot_prefix(tag: str, root: str) -> list[str]:
    inspected = _podman("image", "inspect", tag)
    config = json.loads(inspected.stdout)[0]["Config"]
    user = config.get("User") or "0:0"
    workdir = config.get("WorkingDir") or "/"
    return [
        "chroot",
        f"--userspec={user}",
        root,
        "/usr/bin/env",
        "-i",
        "-C",
        workdir,
        *config.get("Env", []),
        *config["Entrypoint"],
    ]


def _check(prefix: list[str]) -> None:
    version = subprocess.run([*prefix, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "llm-fakes, version" in version.stdout, version
    print(f"  {version.stdout.strip()}")

    refused = subprocess.run(
        [*prefix, "serve", "vllm", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "refusing to listen on 0.0.0.0" in refused.stderr, refused
    print("  serve vllm --host 0.0.0.0 without a token: refused before binding")

    port = _free_port()
    local = ["--host", "127.0.0.1", "--port", str(port), "--no-control-plane"]
    server = subprocess.Popen(
        [*prefix, "serve", "vllm", *local, "--replica-name", "image-check"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # up to ~30 s for the first start
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("no /health answer in time")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as r:
            models = json.load(r)
            assert r.headers["x-inference-pod"] == "image-check", dict(r.headers)
        assert models["data"][0]["id"] == "fake-model", models
        print("  serve vllm: /health 200, /v1/models lists fake-model, x-inference-pod set")
    finally:
        server.terminate()
        server.wait(timeout=20)


def main(tag: str) -> None:
    probe = _podman("run", "--rm", tag, "--version")
    if probe.returncode == 0:
        print("podman run works: checking with it")
        _check(["podman", "run", "--rm", "--network=host", tag])
        return
    reason = (probe.stderr.strip().splitlines() or ["?"])[-1]
    print(f"podman run refused here ({reason}): checking in the image's root filesystem (chroot)")
    mounted = _podman("image", "mount", tag)
    assert mounted.returncode == 0, mounted.stderr
    try:
        _check(_chroot_prefix(tag, mounted.stdout.strip()))
    finally:
        _podman("image", "unmount", tag)


if __name__ == "__main__":
    main(sys.argv[1])
