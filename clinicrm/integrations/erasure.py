"""Erasure of a patient (compliance.lgpd.erase): raw webhook bodies that mention one of the
patient's numbers or provider ids are emptied like retention empties old ones (metadata kept).

Bodies are opaque bytes (JSON or form-encoded, per provider), so they are searched as bytes,
one tenant's non-empty bodies at a time, in chunks."""

from clinicrm.compliance.lgpd.erase import ErasureSubject, patient_erase_hook_register
from clinicrm.integrations.models import InboundEvent


def _inbound_bodies(subject: ErasureSubject) -> int:
    needles = subject.needles()
    if not needles:
        return 0
    hits = [
        event.pk
        for event in InboundEvent.objects.filter(tenant=subject.tenant)
        .exclude(body=b"")
        .only("id", "body")
        .iterator(chunk_size=500)
        if any(needle in bytes(event.body) for needle in needles)
    ]
    return InboundEvent.objects.filter(pk__in=hits).update(body=b"", headers={})


def integrations_erasure_register() -> None:
    patient_erase_hook_register(name="webhooks", erase=_inbound_bodies)
