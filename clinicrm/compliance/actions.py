"""pt-BR names of the audit log's actions and object types, grouped for the filter.

Every app records actions as `<thing>.<verb>` codes (see `core.services.audit_log_record`);
the page shows these labels and falls back to the code for one not listed here.
"""

from collections.abc import Iterator

# (group, ((action, label), ...)); order is the order of the filter's options.
ACTION_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Pacientes e profissionais",
        (
            ("patient.view", "Prontuário aberto"),
            ("patient.create", "Paciente criado"),
            ("patient.update", "Paciente alterado"),
            ("patient.archive", "Paciente arquivado"),
            ("patient.unarchive", "Paciente reativado"),
            ("professional.create", "Profissional criado"),
            ("professional.update", "Profissional alterado"),
            ("professional.archive", "Profissional arquivado"),
            ("professional.unarchive", "Profissional reativado"),
            ("contact_phone.create", "Telefone adicionado"),
            ("contact_phone.update", "Telefone alterado"),
            ("contact_phone.delete", "Telefone removido"),
            ("contact_phone.set_primary", "Telefone principal definido"),
            ("contact_email.create", "E-mail adicionado"),
            ("contact_email.update", "E-mail alterado"),
            ("contact_email.delete", "E-mail removido"),
            ("contact_email.set_primary", "E-mail principal definido"),
        ),
    ),
    (
        "Conversas e mensagens",
        (
            ("conversation.view", "Conversa aberta"),
            ("message.send", "Mensagem enviada"),
            ("conversation.assign", "Conversa atribuída"),
            ("conversation.unassign", "Atribuição removida"),
            ("conversation.stage", "Etapa da conversa alterada"),
            ("conversation.patient_link", "Conversa vinculada a paciente"),
            ("conversation_tag.add", "Etiqueta aplicada"),
            ("conversation_tag.remove", "Etiqueta retirada"),
            ("conversation_tag.create", "Etiqueta criada"),
            ("conversation_tag.update", "Etiqueta alterada"),
            ("conversation_tag.delete", "Etiqueta excluída"),
            ("conversation_note.create", "Nota interna criada"),
            ("conversation_note.update", "Nota interna alterada"),
            ("conversation_note.delete", "Nota interna excluída"),
        ),
    ),
    (
        "Opt-out (LGPD)",
        (
            ("optout.create", "Número descadastrado"),
            ("optout.close", "Número recadastrado"),
            ("optout.manual_send_confirmed", "Envio a número descadastrado confirmado"),
            ("optout_keyword.create", "Palavra de opt-out criada"),
            ("optout_keyword.delete", "Palavra de opt-out excluída"),
        ),
    ),
    (
        "Créditos",
        (
            ("credits.purchase_start", "Compra de créditos iniciada"),
            ("credits.purchase_failed", "Compra de créditos falhou"),
            ("credits.purchase_needs_review", "Compra de créditos em revisão"),
            ("credits.purchase_paid", "Compra de créditos paga"),
            ("credits.purchase_expired", "Compra de créditos expirada"),
            ("credits.purchase_cancelled", "Compra de créditos cancelada"),
            ("credits.purchase_restored", "Compra de créditos reaberta"),
            ("credits.purchase_refunded", "Compra de créditos estornada"),
            ("credits.purchase", "Créditos de compra lançados (equipe)"),
            ("credits.topup_manual", "Recarga manual (equipe)"),
            ("credits.adjustment", "Ajuste de créditos (equipe)"),
            ("credits.threshold_set", "Alerta de saldo baixo alterado"),
            ("credits.ledger_mismatch", "Divergência no saldo detectada"),
            ("addons.purchase", "Compra de add-on lançada (equipe)"),
            ("addons.bonus", "Bônus de add-on (equipe)"),
            ("addons.refund", "Estorno de add-on (equipe)"),
            ("addons.adjustment", "Ajuste de add-on (equipe)"),
            ("addons.settings_update", "Limites de add-on alterados"),
        ),
    ),
    (
        "Agenda",
        (
            ("appointment.create", "Consulta agendada"),
            ("appointment.update", "Consulta alterada"),
            ("appointment.status_change", "Status da consulta alterado"),
            ("availability_rule.create", "Regra semanal criada"),
            ("availability_rule.update", "Regra semanal alterada"),
            ("availability_rule.delete", "Regra semanal excluída"),
        ),
    ),
    (
        "Acesso e equipe",
        (
            ("auth.login", "Entrada no sistema"),
            ("auth.login_failed", "Tentativa de entrada recusada"),
            ("auth.password_reset_requested", "Redefinição de senha pedida"),
            ("auth.password_reset", "Senha redefinida"),
            ("auth.invite_accepted", "Convite aceito"),
            ("user.create", "Usuário criado"),
            ("membership.create", "Membro adicionado"),
            ("membership.update", "Papel de membro alterado"),
            ("membership.delete", "Membro removido"),
            ("membership.invite_sent", "Convite enviado"),
            ("api_token.create", "Token de API criado"),
            ("api_token.revoke", "Token de API revogado"),
        ),
    ),
    (
        "WhatsApp e configurações",
        (
            ("messaging.channel_create", "Canal WhatsApp criado"),
            ("messaging.channel_update", "Canal WhatsApp alterado"),
            ("messaging.channel_activate", "Canal WhatsApp ativado"),
            ("messaging.channel_deactivate", "Canal WhatsApp desativado"),
            ("messaging.channel_disconnect", "Canal WhatsApp desconectado"),
            ("messaging.channel_template_add", "Modelo de mensagem adicionado"),
            ("messaging.channel_template_remove", "Modelo de mensagem removido"),
            ("whatsapp.phones_backfill", "Telefones WhatsApp importados"),
            ("tenant.update", "Dados da clínica alterados"),
            ("crm_settings.update", "Configurações do CRM alteradas"),
            ("autoreply.settings_update", "Resposta automática alterada"),
            ("reminders.settings_update", "Lembretes alterados"),
        ),
    ),
    (
        "LGPD e auditoria",
        (
            ("audit.export", "Auditoria exportada"),
            ("lgpd.export_request", "Exportação LGPD pedida"),
            ("retention.purge", "Dados antigos apagados (retenção)"),
            ("lgpd.export_download", "Exportação LGPD baixada"),
            ("lgpd.export_expire", "Exportação LGPD expirada (arquivo apagado)"),
            ("lgpd.erase", "Paciente anonimizado (LGPD)"),
            ("privacy.settings_update", "Privacidade alterada"),
        ),
    ),
    (
        "Convites de cadastro",
        (
            ("intake.invite_create", "Convite de cadastro criado"),
            ("intake.submit", "Cadastro enviado pelo paciente"),
            ("intake.submit_refused", "Envio de cadastro recusado (link ou dados)"),
            ("intake.view", "Cadastro recebido aberto"),
            ("intake.accept", "Cadastro aceito"),
            ("intake.reject", "Cadastro recusado"),
        ),
    ),
    (
        "Equipe Clinicrm (SaaS)",
        (
            ("saas.credit_package.create", "Pacote criado"),
            ("saas.credit_package.update", "Pacote alterado"),
            ("saas.credit_package.toggle", "Pacote ativado/desativado"),
            ("saas.credit_package.delete", "Pacote excluído"),
            ("saas.addon_product.create", "Produto add-on criado"),
            ("saas.addon_product.update", "Produto add-on alterado"),
            ("saas.addon_product.delete", "Produto add-on excluído"),
        ),
    ),
)

ACTION_LABELS: dict[str, str] = {code: label for _, items in ACTION_GROUPS for code, label in items}

OBJECT_TYPES: dict[str, str] = {
    "patient": "Paciente",
    "professional": "Profissional",
    "thread": "Conversa",
    "message": "Mensagem",
    "appointment": "Consulta",
    "availabilityrule": "Regra semanal",
    "note": "Nota interna",
    "tag": "Etiqueta",
    "optout": "Opt-out",
    "optoutkeyword": "Palavra de opt-out",
    "credittransaction": "Movimento de créditos",
    "creditpurchase": "Compra de créditos",
    "creditbalance": "Saldo de créditos",
    "creditpackage": "Pacote de créditos",
    "addoncredit": "Crédito de add-on",
    "addontransaction": "Movimento de add-on",
    "addonproduct": "Produto add-on",
    "contactphone": "Telefone",
    "contactemail": "E-mail",
    "membership": "Membro",
    "user": "Usuário",
    "tenant": "Clínica",
    "apitoken": "Token de API",
    "channel": "Canal WhatsApp",
    "auditlog": "Registro de auditoria",
    "retention": "Retenção de dados",
    "intakeinvite": "Convite de cadastro",
    "intakesubmission": "Cadastro recebido",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_type_label(code: str) -> str:
    return OBJECT_TYPES.get(code, code)


def action_choices() -> list[tuple[str, object]]:
    """Grouped choices for a Django ChoiceField (optgroups)."""
    return [("", "Todas"), *[(group, list(items)) for group, items in ACTION_GROUPS]]


def known_actions() -> Iterator[str]:
    yield from ACTION_LABELS
