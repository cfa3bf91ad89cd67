# One image for the four services: `zygarde run planner|trainer|selector|scaler`.
# BASE_IMAGE: any Debian-based image with Python 3.11 and its venv module. The default is the
# official one; deploy/images/build.sh passes a base made with mmdebstrap, so the image builds
# without pulling from a registry.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PATH=/opt/zygarde/bin:$PATH \
    ZYGARDE_HOME=/var/lib/zygarde ZYGARDE_DATA_ROOTS=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY zygarde ./zygarde
COPY services ./services
COPY bench ./bench
COPY examples ./examples
# A virtual environment: the same on every base (Debian's own Python refuses system-wide pip installs).
RUN python3 -m venv /opt/zygarde \
 && pip install . "docker>=7" "kubernetes==35.0.0" "boto3>=1.40" \
 && pip install --no-deps islp==0.6.0 \
 && useradd --uid 10001 --create-home zygarde \
 && mkdir -p /var/lib/zygarde/artifacts /data && chown -R zygarde /var/lib/zygarde /data
USER zygarde
EXPOSE 8080 9101 9102 9103
ENTRYPOINT ["zygarde"]
CMD ["run", "planner"]
