"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json); vendor routes under /vendor/."""

from ninja import NinjaAPI

api = NinjaAPI(title="Alliés API", version="1", urls_namespace="api")
