"""The console's pages for reviews (included by backoffice/urls.py at /service-client/avis/)."""

from django.urls import path

from allies.backoffice import reviews

urlpatterns = [
    path("", reviews.review_queue, name="reviews"),
    path("<int:pk>/", reviews.review_detail, name="review"),
    path("<int:pk>/moderer/", reviews.review_moderate_view, name="review_moderate"),
]
