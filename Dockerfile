# reviewbot in a container: `docker run --rm -v $PWD:/work reviewbot review /work/series.mbox`
# The watcher keeps its state and drafts in the volume /var/lib/reviewbot
# (set state_dir = "/var/lib/reviewbot" in the config) and stops cleanly on
# `docker stop` (SIGTERM, after the review in progress; allow it time):
#   docker run -d --name reviewbot-watch --stop-timeout 600 -v reviewbot-state:/var/lib/reviewbot
#     -v $PWD/watch.toml:/etc/reviewbot/watch.toml:ro reviewbot watch --config /etc/reviewbot/watch.toml
#   (one command; split here for width)
#   docker exec reviewbot-watch reviewbot watch --config /etc/reviewbot/watch.toml --status
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY reviewbot ./reviewbot
COPY config ./config
COPY templates ./templates
RUN pip install --no-cache-dir . && rm -rf /src

RUN useradd --create-home --home-dir /home/reviewbot --shell /usr/sbin/nologin reviewbot \
    && mkdir -p /var/lib/reviewbot/outbox \
    && chown -R reviewbot:reviewbot /var/lib/reviewbot

USER reviewbot
ENV XDG_CACHE_HOME=/var/lib/reviewbot/cache
WORKDIR /var/lib/reviewbot
VOLUME ["/var/lib/reviewbot"]
ENTRYPOINT ["reviewbot"]
CMD ["--help"]
