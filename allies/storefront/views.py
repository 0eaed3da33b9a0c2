"""Storefront pages (placeholder views; the catalogue pages are built in this issue)."""

from django.http import HttpResponse
from django.shortcuts import render


def home(request):
    return render(request, "storefront/home.html", {})


def search(request):
    return render(request, "storefront/home.html", {})


def category(request, slug):
    return render(request, "storefront/home.html", {})


def product(request, slug):
    return render(request, "storefront/home.html", {})


def vendor(request, slug):
    return render(request, "storefront/home.html", {})


def product_image(request, pk):
    return HttpResponse("", content_type="image/svg+xml")


def robots_txt(request):
    return HttpResponse("", content_type="text/plain")


def sitemap_xml(request):
    return HttpResponse("", content_type="application/xml")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
