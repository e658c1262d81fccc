# The leadflow worker. Build: docker build -t leadflow . (docker-compose.yml builds it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY routing ./routing
COPY streams ./streams
COPY simulator ./simulator
COPY leadflow ./leadflow
COPY examples ./examples
RUN pip install --no-cache-dir . && useradd --create-home leadflow \
    && mkdir -p /var/lib/leadflow && chown leadflow /var/lib/leadflow
USER leadflow
ENV LEADFLOW_WEB_HOST=0.0.0.0 LEADFLOW_STATE_DIR=/var/lib/leadflow
EXPOSE 6066
ENTRYPOINT ["leadflow"]
CMD ["worker", "--policy", "/app/examples/policy.yaml"]
