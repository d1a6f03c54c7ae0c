# Production image: build the SPA, then a slim Python runtime serving `sepakat serve` against
# the Postgres named by DATABASE_URL (the embedded server is for development and demos).
#   docker build -t sepakat .
#   docker run -e DATABASE_URL=postgresql://user:pass@db:5432/sepakat -p 8000:8000 sepakat

FROM node:20-slim AS spa
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    PATH=/app/.venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.9 && useradd --create-home --uid 10001 sepakat
WORKDIR /app
# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations ./migrations
COPY data ./data
COPY api ./api
RUN uv sync --frozen --no-dev
COPY --from=spa /src/frontend/dist ./frontend/dist
USER sepakat
EXPOSE 8000
# Migrates and loads reference data on start when needed, then serves.
CMD ["sepakat", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-demo"]
