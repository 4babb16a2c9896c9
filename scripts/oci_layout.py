#!/usr/bin/env python3
"""Synthetic OCI images as OCI image layouts on disk: random one-file tar layers, a config and a
manifest per platform, and an index when there are several platforms. Used by scripts/bench and
scripts/demo, which push the layout with `skopeo copy --all --preserve-digests oci:DIR:TAG …`.

As a command: oci_layout.py OUT_DIR TAG [--platforms linux/amd64,linux/arm64] [--layers N]
[--size BYTES] [--label TEXT]  prints the digest of the top-level manifest or index.
"""

import argparse
import hashlib
import json
import os
import tarfile
from dataclasses import dataclass, field

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"
CHUNK = 4 * 1024 * 1024


@dataclass
class ImageSpec:
    repo: str                 # repository in the source registry
    platforms: list           # [(os, arch), ...]; one entry means a plain manifest, no index
    layers: int               # layers per platform, each with its own random content
    layer_size: int           # payload bytes per layer (each layer is a one-file tar)


@dataclass
class Image:
    spec: ImageSpec
    ref: str                  # host:port/repo:tag in the source registry
    digest: str               # digest of the top-level manifest or index
    blob_digests: list = field(default_factory=list)   # every layer and config digest
    blob_bytes: int = 0


class LayoutWriter:
    """Writes blobs into an OCI image layout directory, addressed by their sha256."""

    def __init__(self, path):
        self.path = path
        self.blobs = os.path.join(path, "blobs", "sha256")
        os.makedirs(self.blobs, exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def put_bytes(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.blobs, digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    def put_random_tar(self, name, size):
        """A tar holding one file of `size` random bytes, written and hashed in chunks."""
        tmp = os.path.join(self.blobs, ".partial")
        h = hashlib.sha256()
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o644
        info.mtime = 0
        with open(tmp, "wb") as f:
            def emit(b):
                h.update(b)
                f.write(b)
            emit(info.tobuf(format=tarfile.USTAR_FORMAT))
            left = size
            while left:
                n = min(left, CHUNK)
                emit(os.urandom(n))
                left -= n
            emit(b"\0" * ((512 - size % 512) % 512) + b"\0" * 1024)
            total = f.tell()
        digest = h.hexdigest()
        os.rename(tmp, os.path.join(self.blobs, digest))
        return "sha256:" + digest, total

    def write_index_json(self, descriptor, tag):
        d = dict(descriptor)
        d["annotations"] = {"org.opencontainers.image.ref.name": tag}
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [d]}, f)


def canonical(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def build_layout(spec, path, tag):
    """Builds the image described by `spec` as an OCI layout in `path`; returns the top descriptor
    and the list of blob digests."""
    w = LayoutWriter(path)
    blobs, nbytes, manifests = [], 0, []
    for os_name, arch in spec.platforms:
        layer_descs = []
        for i in range(spec.layers):
            digest, size = w.put_random_tar(f"{arch}/layer-{i:03d}.bin", spec.layer_size)
            layer_descs.append({"mediaType": MT_LAYER, "digest": digest, "size": size})
            blobs.append(digest)
            nbytes += size
        config = canonical({
            "architecture": arch, "os": os_name,
            "created": "2026-01-01T00:00:00Z",
            "config": {"Labels": {"bench.image": spec.repo}},
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in layer_descs]},
        })
        cdigest, csize = w.put_bytes(config)
        blobs.append(cdigest)
        nbytes += csize
        manifest = canonical({
            "schemaVersion": 2, "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": cdigest, "size": csize},
            "layers": layer_descs,
        })
        mdigest, msize = w.put_bytes(manifest)
        manifests.append({"mediaType": MT_MANIFEST, "digest": mdigest, "size": msize,
                          "platform": {"os": os_name, "architecture": arch}})
    if len(manifests) == 1:
        top = {k: v for k, v in manifests[0].items() if k != "platform"}
    else:
        index = canonical({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests})
        idigest, isize = w.put_bytes(index)
        top = {"mediaType": MT_INDEX, "digest": idigest, "size": isize}
    w.write_index_json(top, tag)
    return top, blobs, nbytes




def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("tag")
    ap.add_argument("--platforms", default="linux/amd64,linux/arm64")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--label", default="sample")
    a = ap.parse_args()
    platforms = [tuple(p.split("/", 1)) for p in a.platforms.split(",")]
    top, _, _ = build_layout(ImageSpec(a.label, platforms, a.layers, a.size), a.out, a.tag)
    print(top["digest"])


if __name__ == "__main__":
    main()
