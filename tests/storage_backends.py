"""Private media storage for tests: a local temporary directory, or, with MEDIA_STORAGE=s3 in
the environment, a fresh private bucket on moto's S3 server (real HTTP on a free loopback port,
started once per test process), configured exactly as production would be (STORAGE_URL parsed
by core/storage_config.py). So the media suite runs against object storage with

    MEDIA_STORAGE=s3 .venv/bin/pytest clinicrm/messaging/tests/test_media*.py ...
"""

import atexit
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from clinicrm.core.storage_config import s3_options_from_env

REGION = "us-east-1"
_endpoint: str | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def moto_endpoint() -> str:
    """moto's server (moto[server]) in this process, started on first use."""
    global _endpoint
    if _endpoint is None:
        from moto.server import ThreadedMotoServer

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        atexit.register(server.stop)
        _endpoint = f"http://127.0.0.1:{port}"
    return _endpoint


def s3_client() -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=moto_endpoint(), region_name=REGION)


def s3_storage_url(bucket: str, prefix: str = "") -> str:
    path = f"/{prefix}" if prefix else ""
    return (
        f"s3://{bucket}{path}?endpoint_url={moto_endpoint()}&region_name={REGION}"
        "&addressing_style=path"
    )


def s3_storage_use(settings: Any, *, prefix: str = "") -> str:
    """A new private bucket as the default storage; returns the bucket's name."""
    bucket = f"midia-{uuid.uuid4().hex[:12]}"
    s3_client().create_bucket(Bucket=bucket)
    options = s3_options_from_env({"STORAGE_URL": s3_storage_url(bucket, prefix)})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return bucket


def private_storage_use(settings: Any, tmp_path: Path) -> Path:
    """What the media tests call: local disk under `tmp_path`, or a bucket (MEDIA_STORAGE=s3)."""
    if os.environ.get("MEDIA_STORAGE") == "s3":
        s3_storage_use(settings)
    else:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path, "base_url": "/media-signed/"},
            },
        }
    return tmp_path


def stored_files() -> list[str]:
    """Every file name in the default storage (local directory or bucket), recursively."""
    from django.core.files.storage import default_storage

    def walk(prefix: str) -> list[str]:
        dirs, files = default_storage.listdir(prefix)
        found = [f"{prefix}/{f}".lstrip("/") for f in files]
        for d in dirs:
            found += walk(f"{prefix}/{d}".lstrip("/"))
        return found

    return walk("")
