# The intake service for production: `docker-compose up` (docker-compose.yml) runs it with
# PostgreSQL. The image holds the installed package only, runs as a non-root user and serves
# on 0.0.0.0:8000; configuration comes from INTAKE_* environment variables (.env.example).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY pricing ./pricing
COPY locales ./locales
# The package and its dependencies, installed under /install; the source stays in this stage.
RUN pip install --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /install /usr/local
RUN groupadd --system --gid 10001 intake \
    && useradd --system --uid 10001 --gid intake --home-dir /home/intake --create-home \
       --shell /usr/sbin/nologin intake
USER intake:intake
WORKDIR /home/intake
ENV INTAKE_HOST=0.0.0.0 \
    INTAKE_PORT=8000 \
    INTAKE_LOG_FORMAT=json
EXPOSE 8000
# Alive (no database access); readiness is GET /readyz, for a load balancer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('INTAKE_PORT', '8000') + '/healthz', timeout=2)"]
CMD ["intake", "serve"]
