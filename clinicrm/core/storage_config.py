"""Where private media live: local disk by default, an S3-compatible bucket when configured.

    STORAGE_URL=s3://<bucket>[/<prefix>]?endpoint_url=https://...&region_name=sa-east-1
                 [&addressing_style=path]

or the django-storages names: AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME,
AWS_LOCATION (prefix). Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, or the instance role); they are never part of STORAGE_URL.

The bucket is private: objects are written with the "private" ACL and keys keep the app's
`<tenant>/<yyyy>/<mm>/<uuid>.<ext>` layout. Files leave only through `/midia/<signed token>/`,
which streams them from the bucket: that view checks the token and the tenant, decides the type
from the bytes and sends nosniff, a sandboxing CSP and "attachment" for anything a browser could
run; a presigned bucket URL could do none of that (the bucket would serve whatever type the
object was stored with, from another origin, to anyone holding the link until it expires).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

_URL_OPTIONS = ("endpoint_url", "region_name", "addressing_style")


def s3_options_from_env(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The S3Storage options the environment asks for, or None for local disk."""
    url = env.get("STORAGE_URL", "")
    if url:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ImproperlyConfigured("STORAGE_URL must look like s3://bucket[/prefix]?...")
        if parts.username or parts.password:
            raise ImproperlyConfigured("STORAGE_URL must not carry credentials (use AWS_*).")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - set(_URL_OPTIONS)
        if unknown:
            raise ImproperlyConfigured(f"STORAGE_URL: unknown option(s) {sorted(unknown)}")
        bucket, prefix = parts.netloc, parts.path.strip("/")
        endpoint, region = query.get("endpoint_url"), query.get("region_name")
        style = query.get("addressing_style")
    elif env.get("AWS_STORAGE_BUCKET_NAME"):
        bucket, prefix = env["AWS_STORAGE_BUCKET_NAME"], env.get("AWS_LOCATION", "").strip("/")
        endpoint, region = env.get("AWS_S3_ENDPOINT_URL"), env.get("AWS_S3_REGION_NAME")
        style = env.get("AWS_S3_ADDRESSING_STYLE")
    else:
        return None
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": prefix,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "object_parameters": {"CacheControl": "private, max-age=300"},
    }
    if endpoint:
        options["endpoint_url"] = endpoint
    if region:
        options["region_name"] = region
    if style:
        options["addressing_style"] = style
    return options


def default_storage_config(*, env: Mapping[str, str], local_root: Path) -> dict[str, Any]:
    s3 = s3_options_from_env(env)
    if s3 is not None:
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3}
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": local_root, "base_url": "/media-signed/"},
    }


def storages_default_from_environ(local_root: Path) -> dict[str, Any]:
    return default_storage_config(env=os.environ, local_root=local_root)
