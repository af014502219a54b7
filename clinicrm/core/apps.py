from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicrm.core"
    label = "core"
    verbose_name = "Núcleo"

    def ready(self) -> None:
        from django.tasks.signals import task_enqueued

        from clinicrm.core.accounts import signals  # noqa: F401 - connects the auth receivers
        from clinicrm.core.task_wakeup import on_task_enqueued

        task_enqueued.connect(on_task_enqueued, dispatch_uid="clinicrm.core.task_wakeup")
