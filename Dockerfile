# Vivier's API (and CLI) for the Docker route; Neo4j runs in its own container (docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY vivier ./vivier
COPY ontology ./ontology
COPY loaders ./loaders
COPY graph ./graph
COPY gnn ./gnn
COPY api ./api
COPY data ./data
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["vivier", "serve", "--host", "0.0.0.0", "--port", "8000"]
