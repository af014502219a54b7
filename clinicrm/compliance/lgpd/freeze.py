"""An erased patient's record is a retained fact: read-only (people's freeze extension point).

People knows nothing of erasure; compliance tells it which records are frozen, with the banner
the record shows and the message a refused write answers (pt-BR, no personal data).
"""

from django.utils import timezone

from clinicrm.compliance.models import PatientErasure
from clinicrm.people.extensions import PatientFreeze
from clinicrm.people.models import Patient


def patient_erased_freeze(patient: Patient) -> PatientFreeze | None:
    erased_at = (
        PatientErasure.objects.filter(tenant_id=patient.tenant_id, patient_id=patient.pk)
        .values_list("erased_at", flat=True)
        .first()
    )
    if erased_at is None:
        return None
    day = timezone.localtime(erased_at).strftime("%d/%m/%Y")
    return PatientFreeze(
        banner=(
            f"Paciente anonimizado em {day} a pedido do titular (LGPD). Os dados pessoais foram "
            "eliminados; os atendimentos ficam guardados como registro da clínica e a ficha não "
            "pode mais ser alterada."
        ),
        refusal=(
            f"Este paciente foi anonimizado em {day} a pedido do titular (LGPD): a ficha e os "
            "contatos não podem mais ser alterados. Nada foi alterado."
        ),
    )
