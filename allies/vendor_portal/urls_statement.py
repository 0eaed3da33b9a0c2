"""The portal's "Relevé": the statement by month, its CSV and PDF (included by
vendor_portal/urls.py)."""

from django.urls import path

from allies.vendor_portal import statements

urlpatterns = [
    path("", statements.statement, name="statement"),
    # Year and month are bounded in the view (2000..2100, 1..12): 404 otherwise.
    path("<int:year>-<int:month>.csv", statements.statement_csv_download, name="statement_csv"),
    path("<int:year>-<int:month>.pdf", statements.statement_pdf_download, name="statement_pdf"),
]
