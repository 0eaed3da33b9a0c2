"""Background work of the account app: sending a newsletter to every subscriber (ACC-6)."""

from django_tasks import task


@task()
def newsletter_send_task(*, newsletter_id: int) -> int:
    from allies.accounts.models import Newsletter
    from allies.accounts.services import newsletter_send

    newsletter = Newsletter.objects.filter(pk=newsletter_id).first()
    if newsletter is None:  # deleted after the request: nothing to send
        return 0
    return newsletter_send(newsletter=newsletter)
