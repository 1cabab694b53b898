# syntax=docker/dockerfile:1
# The admin image: the `homeward` command (package libs/admin) for one-shot jobs such as
# `homeward topics create`, `homeward migrate --all` and `homeward check`. It holds every
# service's migrations, and serves nothing. Build from the repository root:
#   docker build -f deploy/admin.Dockerfile -t homeward/admin .
# Built like the service images (services/<name>/Dockerfile).

FROM python:3.11-slim AS builder
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package homeward-admin

FROM python:3.11-slim
RUN groupadd --gid 10001 homeward \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin homeward
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    HOMEWARD_ENVIRONMENT=production
USER 10001:10001
CMD ["homeward", "--help"]
