"""The core app, and the back office's French name for the background tasks' app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class CoreConfig(AppConfig):
    name = "allies.core"


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks' database backend, named in the site's language in the back office."""

    verbose_name = _("Tâches en arrière-plan")  # type: ignore[assignment]  # a lazy str, as Django expects
