"""Re-decide the stored type of every media file from its bytes.

Rows written before `mediatypes.py` kept the sender's claim (`image/jpeg, text/html`,
`image/svg+xml`, ...). The serve path no longer trusts the column, but the page uses it to choose
between showing a file and linking to it, so it is fixed here too: stored files get the type
their first bytes and kind allow (`application/octet-stream` otherwise); rows without a stored
file lose the claim (it is decided once the file arrives). A missing file is left as it is.
"""

from django.core.files.storage import default_storage
from django.db import migrations

from clinicrm.messaging.mediatypes import SNIFF_BYTES, media_mime_decide


def forwards(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    Message.objects.exclude(media_status="stored").exclude(media_mime="").update(media_mime="")
    stored = (
        Message.objects.filter(media_status="stored")
        .exclude(media_path="")
        .only("kind", "media_path", "media_mime", "media_filename")
    )
    for message in stored.iterator(chunk_size=500):
        try:
            with default_storage.open(message.media_path, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            continue
        mime = media_mime_decide(kind=message.kind, head=head, filename=message.media_filename)
        if mime != message.media_mime:
            Message.objects.filter(pk=message.pk).update(media_mime=mime)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_message_tenant_created_idx")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
