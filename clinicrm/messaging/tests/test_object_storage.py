"""Private media in an S3-compatible bucket (moto's server on a loopback port, real HTTP):
STORAGE_URL parsing, keys under <tenant>/<yyyy>/<mm>/ with a private ACL, files leaving only
through /midia/ with the safe headers, and `media_migrate --to s3` idempotent and resumable.
(The whole media suite also runs on the bucket with MEDIA_STORAGE=s3, tests/storage_backends.py.)"""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinicrm.core.storage_config import default_storage_config, s3_options_from_env
from clinicrm.messaging.providers import InboundMedia
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.signing import media_signed_url
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from tests.storage_backends import s3_client, s3_storage_use

SVG = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"


def test_storage_url_and_aws_names():
    options = s3_options_from_env(
        {"STORAGE_URL": "s3://clinicrm-midia/prod?endpoint_url=https://s3.example.com"
         "&region_name=sa-east-1&addressing_style=path"}
    )  # fmt: skip
    assert options is not None
    assert (options["bucket_name"], options["location"]) == ("clinicrm-midia", "prod")
    assert options["endpoint_url"] == "https://s3.example.com"
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    aws = s3_options_from_env({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_REGION_NAME": "sa-east-1"})
    assert aws is not None and aws["bucket_name"] == "b" and aws["region_name"] == "sa-east-1"
    local = default_storage_config(env={}, local_root=Path("/srv/midia"))
    assert local["BACKEND"].endswith("FileSystemStorage")


@pytest.mark.parametrize(
    "url",
    [
        "https://bucket/x",
        "s3://",
        "s3://chave:segredo@bucket",
        "s3://bucket?acl=public-read",
    ],
)
def test_bad_storage_urls_refuse_to_start(url):
    with pytest.raises(ImproperlyConfigured):
        s3_options_from_env({"STORAGE_URL": url})


@pytest.mark.django_db
def test_media_go_to_a_private_bucket_and_leave_only_through_midia(
    tenant, settings, owner_client, other_owner_client
):
    bucket = s3_storage_use(settings, prefix="midia")
    channel = make_channel(tenant)
    media = InboundMedia(mime="image/svg+xml", filename="logo.svg", size=len(SVG), inline=SVG)
    message = message_ingest(channel=channel, inbound=inbound_text(kind="document", media=media))
    assert message is not None
    message.refresh_from_db()
    now = timezone.now()
    key = f"midia/{message.media_path}"
    assert message.media_path.startswith(f"{tenant.pk}/{now:%Y}/{now:%m}/")
    s3 = s3_client()
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == SVG
    grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)  # no AllUsers

    url = media_signed_url(message=message)
    response = owner_client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == SVG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment")  # a browser could run it
    assert other_owner_client.get(url).status_code == 404
    s3.delete_object(Bucket=bucket, Key=key)
    assert owner_client.get(url).status_code == 404  # gone from the bucket: 404, not 500


def _local_media(root: Path) -> dict[str, bytes]:
    files = {
        "t1/2026/11/a.jpg": b"\xff\xd8\xff" + b"a" * 5000,
        "t1/2026/12/b.pdf": b"%PDF-1.7 " + b"b" * 300,
        "t2/2026/12/c.ogg": b"OggS" + b"c" * 70_000,
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    (root / "_readyz").mkdir()
    (root / "_readyz" / "probe").write_bytes(b"ok")
    return files


def _objects(bucket: str) -> dict[str, bytes]:
    s3 = s3_client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_media_migrate_is_idempotent_and_resumable(settings, tmp_path):
    with pytest.raises(CommandError):  # still on local disk: nowhere to copy to
        call_command("media_migrate", "--to", "s3", "--from-dir", str(tmp_path))
    files = _local_media(tmp_path)
    bucket = s3_storage_use(settings)

    out = io.StringIO()
    call_command(
        "media_migrate", "--to", "s3", "--from-dir", str(tmp_path), "--dry-run", stdout=out
    )
    assert "3 arquivos seriam copiados" in out.getvalue() and _objects(bucket) == {}

    out = io.StringIO()
    call_command("media_migrate", "--to", "s3", "--from-dir", str(tmp_path), stdout=out)
    assert "3 arquivos copiados" in out.getvalue()
    assert _objects(bucket) == files  # the probe's scratch file stays behind

    out = io.StringIO()
    call_command("media_migrate", "--to", "s3", "--from-dir", str(tmp_path), stdout=out)
    assert "0 arquivos copiados" in out.getvalue() and "3 já estavam" in out.getvalue()

    # An interrupted run: one object missing, one cut short by another tool; a new local file.
    s3 = s3_client()
    s3.delete_object(Bucket=bucket, Key="t1/2026/11/a.jpg")
    s3.put_object(Bucket=bucket, Key="t2/2026/12/c.ogg", Body=b"OggS")
    (tmp_path / "t2/2026/12/d.txt").write_bytes(b"novo")
    out = io.StringIO()
    call_command("media_migrate", "--to", "s3", "--from-dir", str(tmp_path), stdout=out)
    assert "3 arquivos copiados" in out.getvalue() and "1 substituídos" in out.getvalue()
    assert _objects(bucket) == {**files, "t2/2026/12/d.txt": b"novo"}
