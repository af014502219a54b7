from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "clinicrm.core"
    label = "core"
    verbose_name = "Núcleo"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate
        from django.tasks.signals import task_enqueued

        from clinicrm.core.accounts import signals  # noqa: F401 - connects the auth receivers
        from clinicrm.core.menu import MenuItem, menu_register
        from clinicrm.core.models import Role
        from clinicrm.core.rls import on_connection_created, on_post_migrate, rls_role_check
        from clinicrm.core.task_wakeup import on_task_enqueued

        task_enqueued.connect(on_task_enqueued, dispatch_uid="clinicrm.core.task_wakeup")
        connection_created.connect(on_connection_created, dispatch_uid="clinicrm.core.rls")
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="clinicrm.core.rls")
        checks.register(rls_role_check, checks.Tags.database)
        managers = frozenset({Role.OWNER, Role.ADMIN})
        menu_register(MenuItem("Membros", "core:member_list", "♟", managers, order=110))
