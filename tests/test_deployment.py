"""docker-compose.yml cannot run here, so it is checked by reading it."""

from __future__ import annotations

import gc
import importlib
import os
import runpy
import shlex
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


WORKERS = ("worker", "worker-reports", "worker-imports", "worker-mail")


def test_compose_has_every_service_of_the_deployment():
    services = _compose()["services"]
    assert set(services) == {"web", *WORKERS, "beat", "db", "redis"}


def _queues(command: str) -> list[str]:
    args = shlex.split(command)
    assert args[:4] == ["celery", "-A", "pokja_portal", "worker"]
    return args[args.index("-Q") + 1].split(",")


def test_compose_runs_a_worker_for_every_queue():
    """Reports, imports and mail each have their own worker, so a report never delays a mention e-mail."""
    from pokja_portal.celery_queues import all_queues, task_routes

    services = _compose()["services"]
    consumed = [q for name in WORKERS for q in _queues(services[name]["command"])]
    assert sorted(consumed) == sorted(all_queues("pokja"))  # each queue exactly once
    assert _queues(services["worker"]["command"]) == ["pokja"]  # the default queue the web side sends to
    for name in WORKERS[1:]:
        assert len(_queues(services[name]["command"])) == 1
    assert {route["queue"] for route in task_routes("pokja").values()} == set(all_queues("pokja")[1:])


def test_compose_app_services_point_at_the_project():
    services = _compose()["services"]
    web = services["web"]["command"]
    assert "gunicorn pokja_portal.wsgi:application -c gunicorn.conf.py" in web
    module = importlib.import_module("pokja_portal.wsgi")
    assert hasattr(module, "application")
    assert "manage.py migrate" in web
    beat = services["beat"]["command"]
    assert "beat" in beat and settings.CELERY_BEAT_SCHEDULER in beat
    for name in ("web", *WORKERS, "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert services[name]["build"] == "."
        assert set(services[name]["depends_on"]) == {"db", "redis"}


def test_compose_database_credentials_match_app_url():
    compose = _compose()
    db_env = compose["services"]["db"]["environment"]
    url = compose["services"]["web"]["environment"]["DATABASE_URL"]
    assert url == f"postgres://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}@db:5432/{db_env['POSTGRES_DB']}"
    assert compose["services"]["db"]["image"].startswith("postgres:15")


def test_compose_volumes_are_declared():
    compose = _compose()
    declared = set(compose["volumes"])
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared


def test_dockerfile_installs_requirements_and_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "pokja_portal.wsgi:application", "-c", "gunicorn.conf.py"]' in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    requirements = (ROOT / "requirements.txt").read_text()
    for package in ("gunicorn", "celery", "django-celery-beat", "weasyprint", "psycopg"):
        assert package in requirements
    assert settings.CELERY_TASK_DEFAULT_QUEUE.startswith("pokja")


def test_compose_healthchecks_use_the_portal_health_view():
    from django.urls import resolve

    from core.health import healthz

    services = _compose()["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz?web" in web
    assert resolve("/healthz").func is healthz
    for name in WORKERS:
        node = shlex.split(services[name]["command"])
        node_name = node[node.index("-n") + 1].split("@")[0]
        probe = services[name]["healthcheck"]["test"][-1]
        assert "inspect ping" in probe and f"-d {node_name}@$HOSTNAME" in probe.replace("$$", "$")
    for name in ("db", "redis"):
        assert services[name]["healthcheck"]["test"]
    # Redis keeps queued tasks across restarts (docs/operations.md).
    assert "--appendonly yes" in services["redis"]["command"]


def _gunicorn_config(monkeypatch, **environ: str) -> dict:
    for name in ("GUNICORN_WORKERS", "GUNICORN_BIND", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    enabled = gc.isenabled()
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        (gc.enable if enabled else gc.disable)()


def test_gunicorn_config_preloads_and_reads_the_environment(monkeypatch):
    from gunicorn.config import Config

    config = _gunicorn_config(monkeypatch)
    assert config["preload_app"] is True and config["worker_class"] == "sync"
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["bind"] == "0.0.0.0:8000" and config["timeout"] == 60 and config["max_requests"] == 2000
    config = _gunicorn_config(monkeypatch, GUNICORN_WORKERS="2", GUNICORN_MAX_REQUESTS="0", GUNICORN_TIMEOUT="300")
    assert (config["workers"], config["max_requests"], config["timeout"]) == (2, 0, 300)
    # Every name the file sets is a gunicorn setting or one of its hooks (a typo would be ignored silently).
    known = set(Config().settings)
    assert {
        name for name in config if not name.startswith("_") and name not in {"gc", "os", "Any", "annotations"}
    } <= known


def test_gunicorn_hooks_freeze_the_loaded_objects_before_each_fork(monkeypatch):
    """Collection off while the master loads, the loaded objects frozen before a fork, on again in the worker."""
    enabled = gc.isenabled()
    try:
        config = _gunicorn_config(monkeypatch)
        gc.disable()  # as the file leaves the master
        config["when_ready"](None)  # loads the URLconf and the layout in the master
        config["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
        config["post_fork"](None, None)
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        (gc.enable if enabled else gc.disable)()
