"""Operations, the production path: Dockerfile, docker-compose.yml (checked by docker-compose
itself), .dockerignore, and that `pip install .` in the image ships every data file."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> str:
    binary = shutil.which("docker-compose")
    require(binary is not None,
            "docker-compose is not installed (apt-get install -y docker-compose)")
    assert binary is not None
    return binary


def _project(tmp_path: Path, env: str | None = None) -> Path:
    for name in ("docker-compose.yml", "Dockerfile", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text(
        (ROOT / ".env.example").read_text("utf-8") if env is None else env, "utf-8")
    return tmp_path


def _config(compose: str, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([compose, "--project-directory", str(project), "-f",
                           str(project / "docker-compose.yml"), "config"],
                          cwd=project, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})


def _as_json(compose: str, yaml_text: str) -> Any:
    # docker-compose is Python with PyYAML: its own interpreter reads what it printed.
    interpreter = Path(compose).read_text("utf-8", errors="replace").splitlines()[0][2:].strip()
    done = subprocess.run(
        [*interpreter.split(), "-c",
         "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"],
        input=yaml_text, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_docker_compose_accepts_the_file_with_the_example_env(tmp_path: Path) -> None:
    compose = _compose()
    done = _config(compose, _project(tmp_path))
    assert done.returncode == 0, done.stderr
    config = _as_json(compose, done.stdout)
    services = config["services"]
    assert set(services) == {"db", "migrate", "app"}

    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(str(v).startswith("pgdata:") for v in db["volumes"])
    assert "pgdata" in config["volumes"]

    migrate = services["migrate"]
    assert migrate["command"] == ["intake", "db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"

    app = services["app"]
    assert app["command"] == ["intake", "serve"]
    assert app["depends_on"] == {"db": {"condition": "service_healthy"},
                                 "migrate": {"condition": "service_completed_successfully"}}
    env = app["environment"]
    assert env["INTAKE_HOST"] == "0.0.0.0"
    assert env["INTAKE_DATABASE_URL"].startswith("postgresql+psycopg://intake:")
    assert env["INTAKE_DATABASE_URL"].endswith("@db:5432/intake")
    assert env["INTAKE_BRAND_COLOR"] == "#1f4e79", "the env file is read"
    assert app["build"]["context"] == migrate["build"]["context"]


def test_docker_compose_refuses_to_run_without_a_database_password(tmp_path: Path) -> None:
    compose = _compose()
    example = (ROOT / ".env.example").read_text("utf-8")
    env = "\n".join(line for line in example.splitlines()
                    if not line.startswith("POSTGRES_PASSWORD="))
    done = _config(compose, _project(tmp_path, env))
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_the_dockerfile_installs_the_package_and_serves_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    lines = [line.strip() for line in text.splitlines()]
    assert any(line.startswith("FROM python:3.11-slim") for line in lines)
    assert "RUN pip install --prefix=/install ." in text
    assert "COPY --from=build /install /usr/local" in text, "no source in the final image"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and not users[-1].startswith(("root", "0")), "runs as a non-root user"
    assert "INTAKE_HOST=0.0.0.0" in text
    assert lines[-1] == 'CMD ["intake", "serve"]'
    assert "HEALTHCHECK" in text and "/healthz" in text


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "everything is excluded unless listed"
    allowed = [r[1:].rstrip("/") for r in rules if r.startswith("!")]
    for never in (".env", ".venv", ".git", "intake.sqlite3", "tests"):
        assert never not in allowed


def _package_data() -> tuple[list[str], dict[str, list[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    setuptools = project["tool"]["setuptools"]
    return setuptools["packages"]["find"]["include"], setuptools["package-data"]


# Needed only to write a new migration in a checkout (`alembic revision`), not at run time.
NOT_SHIPPED = {"bot/store/migrations/script.py.mako"}


def test_pip_install_ships_every_file_the_service_reads() -> None:
    """Files that are not in a Python package (no __init__.py) or are not .py reach the
    installed package only through package-data: the image would start without them."""
    include, package_data = _package_data()
    missing = []
    for top in ("bot", "flows", "pricing", "locales"):
        assert any(fnmatch.fnmatch(top, pattern) for pattern in include)
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            in_package = (path.parent / "__init__.py").exists()
            if (path.suffix == ".py" and in_package) or relative in NOT_SHIPPED:
                continue
            inner = path.relative_to(ROOT / top).as_posix()
            if not any(fnmatch.fnmatch(inner, glob) for glob in package_data.get(top, [])):
                missing.append(relative)
    assert not missing, f"not covered by [tool.setuptools.package-data]: {missing}"


@pytest.mark.parametrize("name", ["README.md", "docs/operations.md"])
def test_the_production_path_is_documented(name: str) -> None:
    text = (ROOT / name).read_text("utf-8")
    for needle in ("docker-compose up", ".env.example", "/readyz", "/metrics",
                   "intake db upgrade"):
        assert needle in text, f"{name} does not mention {needle}"
