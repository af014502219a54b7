"""Benchmark: private media upload and serve throughput, local disk vs S3 (moto's server).

What the app does per file: `default_storage.save()` of an upload (upload), and `open()` + read
in 64 KB chunks as `/midia/` streams it (serve). Each backend gets the same files; the S3 one
is moto's server on a loopback port in this process (real HTTP through boto3, so the figure is
the client's overhead plus moto's, not a real bucket's latency). One thread.

    .venv/bin/python -m bench.media_storage [--files 200] [--size-kb 256]
"""

import argparse
import logging
import os
import tempfile
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.core.files.storage import Storage

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")


def run(storage: "Storage", *, files: int, payload: bytes) -> tuple[float, float]:
    from django.core.files.base import ContentFile

    names = []
    start = time.perf_counter()
    for _ in range(files):
        name = f"bench/2026/12/{uuid.uuid4().hex}.jpg"
        names.append(storage.save(name, ContentFile(payload)))
    upload = time.perf_counter() - start
    start = time.perf_counter()
    for name in names:
        with storage.open(name, "rb") as fh:
            while fh.read(65536):
                pass
    return upload, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-kb", type=int, default=256)
    args = parser.parse_args()
    import django

    django.setup()
    for noisy in ("werkzeug", "botocore", "boto3", "s3transfer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from django.core.files.storage import FileSystemStorage
    from storages.backends.s3 import S3Storage

    from clinicrm.core.storage_config import s3_options_from_env
    from tests.storage_backends import s3_client, s3_storage_url

    payload = os.urandom(args.size_kb * 1024)
    megabytes = args.files * len(payload) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        local = FileSystemStorage(location=tmp)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3_client().create_bucket(Bucket=bucket)
        options = s3_options_from_env({"STORAGE_URL": s3_storage_url(bucket)})
        assert options is not None
        s3 = S3Storage(**options)
        print(f"{args.files} files of {args.size_kb} KB ({megabytes:.1f} MB) per backend")
        for label, storage in (("local disk", local), ("S3 (moto)", s3)):
            upload, serve = run(storage, files=args.files, payload=payload)
            print(
                f"{label:>10}: upload {args.files / upload:7.1f} files/s {megabytes / upload:7.1f}"
                f" MB/s | serve {args.files / serve:7.1f} files/s {megabytes / serve:7.1f} MB/s"
            )


if __name__ == "__main__":
    main()
