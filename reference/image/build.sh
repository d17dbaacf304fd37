#!/usr/bin/env bash
# `make image`: the llm-fakes OCI image from the project's own files, without an image registry.
#  1. a Debian bookworm base made with debootstrap (Debian's packages) and imported into podman
#  2. the project's wheel and its dependencies' wheels (pip wheel)
#  3. the Containerfile, built with chroot isolation: its RUN needs no OCI runtime
#  4. a check of the entrypoint: `podman run` where the runtime works; where it is refused
#     (crun cannot set rlimits in some sandboxes), the same command in the image's own root
#     filesystem with chroot, as the image's user, with the image's environment.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-.venv/bin/python}
WORK=${IMAGE_WORK:-build/image}
BASE=${IMAGE_BASE:-localhost/llm-fakes-base:bookworm}
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
TAG=${IMAGE_TAG:-localhost/llm-fakes:$VERSION}

for tool in podman debootstrap chroot; do
    command -v "$tool" >/dev/null || {
        echo "make image needs $tool (Debian: apt-get install podman buildah debootstrap)" >&2
        exit 1
    }
done

if ! podman image exists "$BASE"; then
    echo "== base: debootstrap bookworm (minbase, python3, python3-venv) -> $BASE"
    rm -rf "$WORK/rootfs"
    mkdir -p "$WORK"
    # DEBIAN_MIRROR: optional; debootstrap's own default otherwise
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$WORK/rootfs" \
        ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >"$WORK/debootstrap.log"
    rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
    tar -C "$WORK/rootfs" -c . | podman import --message "debootstrap bookworm minbase" - "$BASE"
    rm -rf "$WORK/rootfs"
fi

echo "== wheels"
rm -rf "$WORK/context"
mkdir -p "$WORK/context/wheels"
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check . -w "$WORK/context/wheels" 2>&1 \
    | grep -v "^WARNING: Location" || true
ls "$WORK/context/wheels"/llm_fakes-"$VERSION"-*.whl >/dev/null

echo "== image $TAG"
podman build --quiet --isolation=chroot --build-arg BASE="$BASE" -f Containerfile -t "$TAG" \
    "$WORK/context"

echo "== check the entrypoint"
"$PYTHON" reference/image/check.py "$TAG"
podman image ls "$TAG"
