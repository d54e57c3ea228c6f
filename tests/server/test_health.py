"""`/healthz` and `/readyz`: what a load balancer sees."""

from __future__ import annotations


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_readyz_checks_redis_in_scale_mode(make_app, db_url, redis_url):
    app = make_app(db_url, REDIS_URL=redis_url, SECRET_KEY="s")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["redis"] == "ok"


def test_readyz_names_redis_when_it_is_down(make_app, db_url):
    app = make_app(db_url, REDIS_URL="redis://127.0.0.1:1/0", SECRET_KEY="s")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "redis": "down"}


def test_readyz_names_the_database_when_it_is_down(make_app):
    app = make_app("postgresql://nobody@127.0.0.1:1/vigie")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] == "down"
    assert response.json["redis"] == "not configured"
