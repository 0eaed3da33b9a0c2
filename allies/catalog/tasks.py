"""Background jobs of the catalogue: processing a vendor's CSV import of offers (VEN-3)."""

from django_tasks import task


@task()
def offer_import_process(import_id: int) -> dict | None:
    """Apply an uploaded offers file (`catalog.imports.offer_import_run`); safe to run twice.
    Returns the report's counters (the task result the worker keeps)."""
    from allies.catalog.imports import offer_import_run

    job = offer_import_run(import_id=import_id)
    if job is None:  # deleted before the worker got to it
        return None
    return {
        "status": job.status,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
    }
