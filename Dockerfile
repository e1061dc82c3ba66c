# Alliance Portal server image. docker-compose.yml uses it for both the one-off migration
# and the server; see README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package needs (.dockerignore keeps the rest out of the build context);
# the source tree is removed once the package is installed.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY portal/ portal/
COPY schema/ schema/
COPY auth/ auth/
COPY db/ db/
RUN pip install . \
    && cd / \
    && rm -rf /src
WORKDIR /

# A non-root user. /var/lib/portal (mode 0700) holds the embedded PostgreSQL, which is used
# only when PORTAL_DATABASE_URL is not set.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/portal portal \
    && install -d -o portal -g portal -m 700 /var/lib/portal
USER portal
WORKDIR /home/portal

ENV PORTAL_HOST=0.0.0.0 \
    PORTAL_DATA_DIR=/var/lib/portal
EXPOSE 8000
CMD ["portal", "serve"]
