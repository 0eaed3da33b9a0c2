from django.shortcuts import render


def account_home(request):
    return render(request, "storefront/home.html", {})


def login_view(request):
    return render(request, "storefront/home.html", {})
