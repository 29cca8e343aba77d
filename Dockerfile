# reviewbot in a container: `docker run --rm -v $PWD:/work reviewbot review /work/series.mbox`
# The watcher (planned) keeps its state and drafts in /var/lib/reviewbot.
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
