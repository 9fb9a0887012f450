# One image for every Python service of the stack: the user-code gRPC server (default command),
# dagster-webserver, dagster-daemon and the Streamlit dashboard (docker-compose.yml picks the
# command). Build: `docker compose build` (or `docker build -t procurement-pipeline .`).
#
# Pinned by version tag (Python 3.11 on Debian 12). To pin by digest too, resolve it where a
# registry is reachable (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`) and
# append @sha256:<digest>.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PROCUREMENT_STATE_DIR=/var/lib/procurement \
    PROCUREMENT_ARTIFACT_ROOT=/var/lib/procurement/artifacts \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PROCUREMENT_LOG_FORMAT=json \
    DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1 \
    DAGSTER_EVENT_BATCH_SIZE=2000

# A fixed, unprivileged user (uid 10001): volumes created by the image are owned by it.
RUN groupadd --system --gid 10001 procurement \
    && useradd --system --uid 10001 --gid procurement --create-home \
       --home-dir /home/procurement --shell /usr/sbin/nologin procurement

WORKDIR /opt/procurement

# The whole dependency tree from the lock (exact pins, one layer cached until the lock changes);
# prophet's wheels carry the compiled Stan model, so no compiler is needed.
COPY requirements.lock ./
RUN python -m pip install --no-cache-dir -r requirements.lock

# Then the project itself without resolving anything again. Installed in place (-e) so that
# data/products_seed.csv and dashboard/ resolve from /opt/procurement as in a checkout.
COPY pyproject.toml README.md ./
COPY procurement_pipeline ./procurement_pipeline
COPY dashboard ./dashboard
COPY data ./data
COPY workspace.yaml ./
COPY deploy ./deploy
RUN python -m pip install --no-cache-dir --no-deps -e . \
    && python -m pip check \
    && mkdir -p "$PROCUREMENT_ARTIFACT_ROOT" "$DAGSTER_HOME" \
    && cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml" \
    && chown -R procurement:procurement /var/lib/procurement /opt/dagster

USER procurement

# Models, PDFs and global_metadata.json; Dagster's home (dagster.yaml, compute logs).
VOLUME ["/var/lib/procurement/artifacts", "/opt/dagster/dagster_home"]

# 3000 dagster-webserver, 4000 user-code gRPC server, 8501 Streamlit dashboard.
EXPOSE 3000 4000 8501

CMD ["dagster", "api", "grpc", "-m", "procurement_pipeline.definitions", \
     "--location-name", "procurement_pipeline", "-h", "0.0.0.0", "-p", "4000"]
