from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "allies.catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from allies.catalog.search_index import post_migrate_ensure

        post_migrate.connect(post_migrate_ensure, sender=self, dispatch_uid="catalog-search-index")
