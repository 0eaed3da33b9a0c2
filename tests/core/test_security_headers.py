"""Security headers and error pages (issue 9 §11, §12; issue 8 §5): a Content-Security-Policy
without 'unsafe-inline' scripts on every page, TLS settings that pass `check --deploy`,
personal pages never cached, and 400/403/CSRF pages in the site's layout and language."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import AddressFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_every_page_sends_a_policy_that_refuses_inline_scripts(client):
    # covers: issue 9 §11
    for url in ("/", "/compte/connexion/", "/recherche/", "/admin/login/", "/api/v1/docs"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in client.get("/")["Content-Security-Policy"]


def test_no_template_has_an_inline_script_or_event_handler():
    # covers: issue 9 §11 (the policy holds only if no page needs 'unsafe-inline')
    found = []
    for path in (ROOT / "allies").rglob("*.html"):
        if "notifications" in path.parts or "pdf" in path.parts:  # emails and PDFs, not pages
            continue
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag and "application/ld+json" not in tag:
                found.append(f"{path.relative_to(ROOT)}: {tag}")
        found += [f"{path.relative_to(ROOT)}: {m}" for m in re.findall(r"\son[a-z]+=", html)]
        found += [f"{path.relative_to(ROOT)}: <style>" for _ in re.findall(r"<style\b", html)]
        found += [f"{path.relative_to(ROOT)}: style=" for _ in re.findall(r'\sstyle="', html)
                  if "admin" not in path.name]  # fmt: skip
    assert found == []


def test_production_settings_pass_the_deploy_check_and_turn_tls_on(tmp_path):
    # covers: issue 9 §11
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "www.les-allies.example",
        "SITE_URL": "https://www.les-allies.example",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "VAR_DIR": str(tmp_path),
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
         "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
         "s.SECURE_PROXY_SSL_HEADER)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.stdout.strip().splitlines()[-1] == (
        "True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    ), shown.stderr


@pytest.mark.django_db
def test_behind_tls_pages_carry_hsts_and_plain_http_is_redirected(client, settings):
    # covers: issue 9 §11
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/compte/connexion/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/compte/connexion/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_customer_order_and_address_pages_are_never_cached(client):
    # covers: issue 9 §12
    user = UserFactory()
    address = AddressFactory(user=user)
    client.force_login(user)
    for url in (reverse("accounts:home"), reverse("accounts:addresses"),
                reverse("accounts:address_edit", args=[address.pk]),
                reverse("accounts:settings"), "/compte/achats/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url


@pytest.mark.django_db
def test_a_customer_opening_the_vendor_portal_gets_the_sites_403_page(client):
    # covers: issue 8 §5
    client.force_login(UserFactory())
    response = client.get("/vendeur/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html and 'class="site-header"' in html
    assert 'href="/"' in html  # a way back
    english = client.get("/en/vendeur/")
    assert english.status_code == 403 and "Access denied" in english.content.decode()


@pytest.mark.django_db
def test_a_refused_csrf_token_gets_the_sites_page_and_changes_nothing():
    # covers: issue 8 §5
    user = UserFactory(first_name="Jean")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("accounts:home"), {"first_name": "Pirate"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Formulaire expiré" in html and 'class="site-header"' in html
    assert "Forbidden" not in html
    user.refresh_from_db()
    assert user.first_name == "Jean"


@pytest.mark.django_db
def test_a_bad_request_gets_the_sites_400_page(client, settings):
    # covers: issue 8 §5
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Requête incorrecte" in response.content.decode()
