"""What intake invites plug into lower apps: the conversation drawer's panel, the side menu and
least privilege (a professional sees the invites they created and the answers to them)."""

from django.db.models import Q

from clinicrm.compliance.intake.erasure import intake_erasure_register
from clinicrm.compliance.intake.models import IntakeInvite, IntakeSubmission
from clinicrm.compliance.intake.views import PANEL, intake_panel_context
from clinicrm.core.menu import MenuItem, menu_register
from clinicrm.core.visibility import visibility_scope_register
from clinicrm.messaging.panels import BODY, ConversationPanel, conversation_panel_register


def intake_register() -> None:
    conversation_panel_register(
        ConversationPanel(
            code="compliance.intake",
            slot=BODY,
            template=PANEL,
            context=intake_panel_context,
            order=60,
        )
    )
    menu_register(MenuItem("Cadastros recebidos", "compliance:intake_list", "✎", order=35))
    visibility_scope_register(IntakeInvite, lambda m: Q(created_by_id=m.user_id))
    visibility_scope_register(IntakeSubmission, lambda m: Q(invite__created_by_id=m.user_id))
    intake_erasure_register()
