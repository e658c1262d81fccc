# The leadflow worker. Build: docker build -t leadflow . (docker-compose.yml builds it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY routing ./routing
COPY streams ./streams
COPY simulator ./simulator
COPY leadflow ./leadflow
COPY dashboard ./dashboard
COPY crm ./crm
COPY examples ./examples
COPY setup.py ./
# gcc compiles the routing core with mypyc during the install (removed again in the same
# layer); without it the install still succeeds with the pure-Python core.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home leadflow \
    && mkdir -p /var/lib/leadflow && chown leadflow /var/lib/leadflow
USER leadflow
ENV LEADFLOW_WEB_HOST=0.0.0.0 LEADFLOW_STATE_DIR=/var/lib/leadflow
EXPOSE 6066
ENTRYPOINT ["leadflow"]
CMD ["worker", "--policy", "/app/examples/policy.yaml"]
