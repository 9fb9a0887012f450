"""The deployment files, checked for structure (Docker cannot run on this machine).

docker-compose.yml: the six services, healthchecks, start order on healthchecks, volumes, and
that every environment variable the code reads (found by scanning the source, env_scan.py) is
documented in .env.example and reaches the services. Dockerfile, .dockerignore, the instance
files in deploy/ and the table of variables in README.md ("Production") are checked too.
"""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from procurement_pipeline_tests.conftest import REPO_ROOT
from procurement_pipeline_tests.deploy.env_scan import (
    compose_interpolations,
    dotenv_variables,
    instance_env_references,
    variables_read_by_code,
)

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DEPLOY = REPO_ROOT / "deploy"
PRODUCTION_DOC = REPO_ROOT / "README.md"

SERVICES = {"mysql", "user-code", "dagster-webserver", "dagster-daemon", "dashboard", "mailpit"}
# Services that run the project's code (the image) and so need its settings.
APP_SERVICES = {"user-code", "dagster-webserver", "dagster-daemon", "dashboard"}
# Services that open the Dagster instance (deploy/dagster.yaml): runs execute in user-code.
INSTANCE_SERVICES = {"user-code", "dagster-webserver", "dagster-daemon"}
ARTIFACTS = "/var/lib/procurement/artifacts"
DAGSTER_HOME = "/opt/dagster/dagster_home"
INSTANCE_FILES = ["dagster.yaml", "dagster.docker.yaml", "dagster.k8s.yaml"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def code_variables() -> dict[str, set[str]]:
    return variables_read_by_code(REPO_ROOT / "procurement_pipeline", REPO_ROOT / "dashboard")


def command(service: dict) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def mounts(service: dict) -> dict[str, str]:
    """{container path: source} of a service's volumes (short syntax)."""
    found = {}
    for spec in service.get("volumes", []):
        source, target = spec.split(":")[:2]
        found[target] = source
    return found


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def env_files(service: dict) -> list[str]:
    files = service.get("env_file") or []
    files = [files] if isinstance(files, str) else files
    return [f if isinstance(f, str) else f["path"] for f in files]


def test_every_service_is_there(services):
    assert set(services) == SERVICES


def test_mysql_is_utf8mb4_with_a_volume_and_a_healthcheck(services):
    mysql = services["mysql"]
    assert re.fullmatch(r"mysql:8\.\d+(\.\d+)?", mysql["image"])
    assert "--character-set-server=utf8mb4" in command(mysql)
    assert any(c.startswith("--collation-server=utf8mb4") for c in command(mysql))
    assert "mysqladmin ping" in " ".join(mysql["healthcheck"]["test"])
    volumes = mounts(mysql)
    assert volumes["/var/lib/mysql"] == "mysql_data"
    assert volumes["/docker-entrypoint-initdb.d"] == "./deploy/mysql-init"
    init = DEPLOY / "mysql-init" / "01-databases.sh"
    assert init.stat().st_mode & 0o111, "the init script must be executable"
    script = init.read_text()
    assert "WAREHOUSE_MYSQL_DB" in script and "utf8mb4" in script
    assert environment(mysql)["WAREHOUSE_MYSQL_DB"] == "${WAREHOUSE_MYSQL_DB}"


def test_every_service_has_a_healthcheck_and_waits_on_healthy_dependencies(services):
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name}: no healthcheck"
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec == {"condition": "service_healthy"}, f"{name} -> {dependency}: {spec}"
    depends = {name: set(s.get("depends_on") or {}) for name, s in services.items()}
    assert {"mysql"} <= depends["user-code"]
    assert {"mysql", "user-code"} <= depends["dagster-webserver"]
    assert {"mysql", "user-code"} <= depends["dagster-daemon"]
    assert {"mysql"} <= depends["dashboard"]


def test_commands_and_the_workspace_agree(services):
    user_code = command(services["user-code"])
    assert user_code[:3] == ["dagster", "api", "grpc"]
    assert user_code[user_code.index("-m") + 1] == "procurement_pipeline.definitions"
    port = user_code[user_code.index("-p") + 1]
    health = services["user-code"]["healthcheck"]["test"]
    assert "grpc-health-check" in health and health[health.index("-p") + 1] == port

    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    assert location["grpc_server"]["host"] == "user-code"
    assert str(location["grpc_server"]["port"]) == port
    assert location["grpc_server"]["location_name"] == "procurement_pipeline"

    assert command(services["dagster-webserver"])[0] == "dagster-webserver"
    assert command(services["dagster-daemon"])[:2] == ["dagster-daemon", "run"]
    for name in ("dagster-webserver", "dagster-daemon"):
        cmd = command(services[name])
        assert cmd[cmd.index("-w") + 1] == "deploy/workspace.yaml"
        assert mounts(services[name])["/opt/procurement/deploy/workspace.yaml"] == (
            "./deploy/workspace.yaml"
        )
    assert command(services["dashboard"])[:3] == ["streamlit", "run", "dashboard/app.py"]


def test_volumes(compose, services):
    declared = set(compose["volumes"])
    for name, service in services.items():
        for source in mounts(service).values():
            assert source.startswith("./") or source in declared, f"{name}: {source}"
    # The artifact store: written by runs (user-code), read by the dashboard.
    for name in ("user-code", "dashboard"):
        assert mounts(services[name])[ARTIFACTS] == "artifacts"
        assert environment(services[name])["PROCUREMENT_ARTIFACT_ROOT"] == ARTIFACTS
    # One DAGSTER_HOME (compute logs) and the production dagster.yaml for the instance users.
    for name in INSTANCE_SERVICES:
        assert mounts(services[name])[DAGSTER_HOME] == "dagster_home"
        assert mounts(services[name])[f"{DAGSTER_HOME}/dagster.yaml"] == "./deploy/dagster.yaml"
        assert environment(services[name])["DAGSTER_HOME"] == DAGSTER_HOME


def test_every_variable_the_code_reads_is_documented_and_passed(services, code_variables):
    documented, assigned = dotenv_variables(ENV_EXAMPLE)
    # The scanner really reads the code (a broken scanner must not pass vacuously).
    assert {"DATABASE_URL", "SCRAPERAPI_KEY", "SMTP_HOST", "PROCUREMENT_LOG_FORMAT"} <= set(
        code_variables
    )
    missing = {v: sorted(files) for v, files in code_variables.items() if v not in documented}
    assert not missing, f"read by the code but not in .env.example: {missing}"
    # env_file: .env hands every variable of .env to the services that run the code.
    for name in APP_SERVICES:
        assert ".env" in env_files(services[name]), f"{name} does not read .env"
        fixed = environment(services[name])
        for variable in fixed:
            assert variable in documented, f"{name} sets undocumented {variable}"
    # Commented-out variables are optional: the code must have a default for them. Those the
    # compose file fixes inside the containers need no value in .env.
    fixed_everywhere = set.intersection(*(set(environment(services[n])) for n in APP_SERVICES))
    assert {"DATABASE_URL", "PROCUREMENT_ARTIFACT_ROOT", "DAGSTER_HOME"} <= fixed_everywhere


def test_every_compose_interpolation_is_defined(code_variables):
    documented, assigned = dotenv_variables(ENV_EXAMPLE)
    interpolated = compose_interpolations(COMPOSE_FILE.read_text(encoding="utf-8"))
    undefined = sorted(v for v, has_default in interpolated.items() if not has_default)
    assert set(undefined) <= assigned, f"no value in .env.example: {set(undefined) - assigned}"
    assert set(interpolated) <= documented


@pytest.mark.parametrize("filename", INSTANCE_FILES)
def test_instance_variables_reach_the_instance_services(services, filename):
    _, assigned = dotenv_variables(ENV_EXAMPLE)
    config = yaml.safe_load((DEPLOY / filename).read_text())
    referenced = instance_env_references(config)
    assert {f"DAGSTER_MYSQL_{k}" for k in ("HOST", "PORT", "USER", "PASSWORD", "DB")} <= referenced
    for name in INSTANCE_SERVICES:
        passed = assigned if ".env" in env_files(services[name]) else set()
        passed |= set(environment(services[name]))
        assert referenced <= passed, f"{name} lacks {referenced - passed}"


def test_env_example_has_nothing_stale(code_variables):
    """Each line of .env.example is read by the code, the compose file or an instance file."""
    documented, _ = dotenv_variables(ENV_EXAMPLE)
    used = set(code_variables) | set(compose_interpolations(COMPOSE_FILE.read_text()))
    for filename in INSTANCE_FILES:
        used |= instance_env_references(yaml.safe_load((DEPLOY / filename).read_text()))
    assert documented - used == set(), f"documented but read by nothing: {documented - used}"
    # Each has its meaning in the comment above it (a group of lines may share one comment).
    assignment = re.compile(r"^#?\s*[A-Z][A-Z0-9_]*=")
    explained = False
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            assert explained, f"{match[1]} has no explanation above it"
        elif line.startswith("#") and not assignment.match(line):
            explained = not set(line.lstrip("# ")) <= {"-"}  # a rule line explains nothing
        elif not line:
            explained = False


@pytest.mark.parametrize("filename", INSTANCE_FILES)
def test_instance_files_validate(filename, monkeypatch, tmp_path):
    """Schema-level validation by Dagster itself (launcher configs are checked when loaded)."""
    from dagster._core.instance.config import dagster_instance_config

    for name in ("USER", "PASSWORD", "HOST", "DB"):
        monkeypatch.setenv(f"DAGSTER_MYSQL_{name}", "x")
    monkeypatch.setenv("DAGSTER_MYSQL_PORT", "3306")
    (tmp_path / "dagster.yaml").write_text((DEPLOY / filename).read_text())
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    for key in ("run_storage", "schedule_storage"):
        assert config[key]["module"].startswith("dagster_mysql.")
    # dagster-mysql's event log, asset events batched (procurement_pipeline/instance_storage.py).
    assert config["event_log_storage"]["module"] == "procurement_pipeline.instance_storage"
    assert config["event_log_storage"]["class"] == "BatchedMySQLEventLogStorage"
    limits = {x["key"]: x["limit"] for x in config["concurrency"]["runs"]["tag_concurrency_limits"]}
    assert limits == {"procurement/scraping": 1, "dagster/backfill": 3}


def test_dockerfile():
    text = DOCKERFILE.read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base[1])
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\}$", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in {"root", "0"}
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert "--no-deps" in text
    volumes = re.search(r"^VOLUME (\[.*\])$", text, re.M)
    assert volumes and set(yaml.safe_load(volumes[1])) == {ARTIFACTS, DAGSTER_HOME}
    assert set(re.search(r"^EXPOSE (.+)$", text, re.M)[1].split()) == {"3000", "4000", "8501"}
    assert f"DAGSTER_HOME={DAGSTER_HOME}" in text
    assert f"PROCUREMENT_ARTIFACT_ROOT={ARTIFACTS}" in text


def test_dockerignore_keeps_secrets_and_state_out():
    ignored = set(
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert {".env", ".venv", ".local_state", ".git", "test-artifacts"} <= ignored
    for needed in ("requirements.lock", "pyproject.toml", "procurement_pipeline", "data"):
        assert needed not in ignored


def test_dagster_family_and_pymysql_auth_are_pinned():
    """dagster-mysql pinned with dagster; PyMySQL can log in to MySQL 8's default
    caching_sha2_password over plain TCP only with `cryptography` installed."""
    lock = (REPO_ROOT / "requirements.lock").read_text()
    assert re.search(r"^dagster==1\.13\.\d+$", lock, re.M)
    assert re.search(r"^dagster-mysql==0\.29\.\d+$", lock, re.M)
    assert re.search(r"^cryptography==", lock, re.M), (
        "add cryptography to the pins (PyMySQL[rsa]) so the warehouse can log in to MySQL 8.4"
    )


def test_production_doc_lists_every_variable():
    documented, _ = dotenv_variables(ENV_EXAMPLE)
    doc = PRODUCTION_DOC.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", doc, re.M))
    assert documented <= rows, f"missing from the table: {sorted(documented - rows)}"
    for step in ("docker compose up", "dagster instance migrate", "backfill"):
        assert step in doc
