"""Configuration comes only from the environment; production refuses unsafe settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_with(env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full.update(env, DJANGO_SETTINGS_MODULE="allies.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DEBUG, s.EMAIL_BACKEND, s.DATABASES['default']['ENGINE'], s.SITE_URL)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )


def test_debug_off_with_default_secret_refuses_to_start():
    result = _settings_with({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_with_a_secret_starts():
    result = _settings_with({"DEBUG": "0", "SECRET_KEY": "x" * 50, "PORT": "8123"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert result.stdout.split()[-1] == "http://127.0.0.1:8123"


def test_email_goes_to_smtp_when_email_host_is_set_else_to_files():
    smtp = _settings_with({"EMAIL_HOST": "mail.example.test", "EMAIL_PORT": "2525"})
    files = _settings_with({"EMAIL_HOST": ""})
    assert "smtp.EmailBackend" in smtp.stdout
    assert "EmlFileBackend" in files.stdout


def test_database_url_selects_postgresql():
    result = _settings_with({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"})
    assert "postgresql" in result.stdout
